/**
 * The one way the page makes elements. Text always goes in through text nodes and attributes
 * through setAttribute, never innerHTML: tags, reasons and repository names are user data, and
 * this is what keeps them from ever being read as markup.
 */
export type Child = Node | string | number | null | undefined | false | readonly Child[];
type Attribute = string | number | boolean | undefined | ((event: Event) => void);

export function h(tag: string, attributes: Record<string, Attribute> = {}, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces a container's content, keeping focus on the element with the same `data-key` when it is re-rendered. */
export function replaceContent(container: HTMLElement, ...children: Child[]): void {
  const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.key : undefined;
  container.replaceChildren();
  append(container, children);
  if (focused !== undefined) {
    const again = [...container.querySelectorAll<HTMLElement>('[data-key]')].find((e) => e.dataset.key === focused);
    again?.focus();
  }
}
