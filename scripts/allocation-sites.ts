/** A node of V8's sampling heap profile (HeapProfiler.stopSampling), as far as the profile scripts read it. */
export interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/**
 * Bytes sampled per allocation site ("function folder/file:line"). Frames
 * without a script (V8 builtins, the API) are named after their nearest
 * script caller, so "load :0" says whose load it was.
 */
export function allocationSites(head: ProfileNode): Map<string, number> {
  const sites = new Map<string, number>();
  const walk = (node: ProfileNode, caller: string) => {
    const f = node.callFrame;
    const here = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    const site = f.url ? here : `${here} <- ${caller}`;
    if (node.selfSize) sites.set(site, (sites.get(site) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child, f.url ? here : caller);
  };
  walk(head, '(root)');
  return sites;
}
