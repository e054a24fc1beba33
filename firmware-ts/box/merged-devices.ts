import type {
  ButtonEvent,
  ButtonName,
  Buttons,
  KeyEvent,
  Rgb,
  StepGrid,
  TapHit,
  TapPad,
  TempoControl,
  Unsubscribe,
} from '../devices/interfaces.js';

/**
 * The panel's virtual devices alongside the hardware: on the Pi the web
 * panel stays a remote control of the same box, so each device the box sees
 * may be two (the real one and the panel's). Events from both arrive; LEDs go
 * to both. Null entries are skipped; with one left, it is used as it is.
 */

function present<T>(devices: (T | null | undefined)[]): T[] {
  return devices.filter((d): d is T => d != null);
}

function all(offs: Unsubscribe[]): Unsubscribe {
  return () => offs.forEach((off) => off());
}

/** The first device that reports trouble (the hardware's; a virtual one has none). */
export function firstTrouble(devices: ({ trouble?(): string | null } | null | undefined)[]): string | null {
  for (const device of devices) {
    const trouble = device?.trouble?.() ?? null;
    if (trouble) return trouble;
  }
  return null;
}

export function mergeGrids(...grids: (StepGrid | null | undefined)[]): StepGrid | null {
  const list = present(grids);
  if (list.length <= 1) return list[0] ?? null;
  return {
    onKey: (listener: (event: KeyEvent) => void) => all(list.map((g) => g.onKey(listener))),
    // One grid failing (an I2C error) must not keep the LEDs of the other from updating.
    show: async (colors: readonly Rgb[]) => {
      const results = await Promise.allSettled(list.map((g) => g.show(colors)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
    close: async () => {
      await Promise.allSettled(list.map((g) => g.close()));
    },
    trouble: () => firstTrouble(list),
  };
}

export function mergeTapPads(...pads: (TapPad | null | undefined)[]): TapPad | null {
  const list = present(pads);
  if (list.length <= 1) return list[0] ?? null;
  return {
    onHit: (listener: (hit: TapHit) => void) => all(list.map((p) => p.onHit(listener))),
    close: async () => {
      await Promise.allSettled(list.map((p) => p.close()));
    },
    trouble: () => firstTrouble(list),
  };
}

/**
 * Buttons from two sources: a press is passed on when the button was up on
 * both and a release when it is up on both again, so the listener still sees
 * presses and releases alternate (the Buttons obligation) when SHIFT is held
 * on the box and on the page at once.
 */
export function mergeButtons(...sources: (Buttons | null | undefined)[]): Buttons | null {
  const list = present(sources);
  if (list.length <= 1) return list[0] ?? null;
  return {
    onButton: (listener: (event: ButtonEvent) => void) => {
      // Per subscription: how many sources hold each button down.
      const down = new Map<ButtonName, number>();
      return all(
        list.map((b) =>
          b.onButton((event) => {
            const before = down.get(event.button) ?? 0;
            const after = Math.max(0, before + (event.pressed ? 1 : -1));
            down.set(event.button, after);
            if ((before === 0) !== (after === 0)) listener(event);
          }),
        ),
      );
    },
    isDown: (button: ButtonName) => list.some((b) => b.isDown(button)),
    close: async () => {
      await Promise.allSettled(list.map((b) => b.close()));
    },
  };
}

export function mergeTempo(...controls: (TempoControl | null | undefined)[]): TempoControl | null {
  const list = present(controls);
  if (list.length <= 1) return list[0] ?? null;
  return {
    onTurn: (listener: (detents: number, time: number) => void) => all(list.map((c) => c.onTurn(listener))),
    close: async () => {
      await Promise.allSettled(list.map((c) => c.close()));
    },
  };
}
