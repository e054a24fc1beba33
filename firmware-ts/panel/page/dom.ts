// The page's one way to reach an element of index.html by its id.

export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
