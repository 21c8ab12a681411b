/**
 * A strict reader of Confluence storage format for the local Confluence and the tests: the body must
 * be well-formed XML (balanced elements, quoted attributes, only the five XML entities and character
 * references, no markup characters in text) and use only the elements medic renders. Confluence
 * refuses a malformed body with HTTP 400; medic's renderer must never produce one, whatever the alarm
 * or host said.
 */

/** The elements medic's storage renderer produces; anything else in a body is refused. */
export const STORAGE_ELEMENTS = new Set([
  'h2',
  'p',
  'strong',
  'code',
  'a',
  'ul',
  'li',
  'table',
  'tbody',
  'tr',
  'th',
  'td',
  'ac:task-list',
  'ac:task',
  'ac:task-id',
  'ac:task-status',
  'ac:task-body',
]);
const ATTRIBUTES: Record<string, readonly string[]> = { a: ['href'] };

export interface StorageElement {
  name: string;
  attributes: Record<string, string>;
  children: (StorageElement | string)[];
}

export class StorageFormatError extends Error {
  override name = 'StorageFormatError';
}

const NAME = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?$/;

function decode(text: string, at: number): string {
  if (/[<>]/.test(text)) throw new StorageFormatError(`raw markup character in text at ${at}`);
  return text.replace(/&([^;]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) throw new StorageFormatError(`unterminated entity at ${at}`);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (ref in named) return named[ref] as string;
    const m = /^#(x[0-9a-fA-F]+|\d+)$/.exec(ref);
    if (!m?.[1]) throw new StorageFormatError(`unknown entity &${ref}; at ${at}`);
    return String.fromCodePoint(m[1].startsWith('x') ? Number.parseInt(m[1].slice(1), 16) : Number(m[1]));
  });
}

/** Parses a storage-format fragment; throws StorageFormatError on anything Confluence would refuse. */
export function parseStorage(body: string): StorageElement {
  const root: StorageElement = { name: '#fragment', attributes: {}, children: [] };
  const stack: StorageElement[] = [root];
  const tag = /<(\/?)([^\s/>]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
  let i = 0;
  while (i < body.length) {
    const lt = body.indexOf('<', i);
    const text = body.slice(i, lt === -1 ? body.length : lt);
    if (text) (stack.at(-1) as StorageElement).children.push(decode(text, i));
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(body);
    if (!m) throw new StorageFormatError(`malformed tag at ${lt}: ${body.slice(lt, lt + 40)}`);
    const [, closing, name = '', attrs = '', selfClosing] = m;
    if (!NAME.test(name)) throw new StorageFormatError(`bad element name ${name} at ${lt}`);
    if (!STORAGE_ELEMENTS.has(name))
      throw new StorageFormatError(`element <${name}> is not one medic renders`);
    if (closing) {
      const open = stack.pop();
      if (!open || open.name !== name || stack.length === 0)
        throw new StorageFormatError(`</${name}> at ${lt} closes <${open?.name ?? 'nothing'}>`);
    } else {
      const attributes: Record<string, string> = {};
      for (const a of attrs.matchAll(/([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        const key = a[1] ?? '';
        if (!(ATTRIBUTES[name] ?? []).includes(key))
          throw new StorageFormatError(`attribute ${key} is not allowed on <${name}>`);
        if (key in attributes) throw new StorageFormatError(`duplicate attribute ${key} at ${lt}`);
        attributes[key] = decode(a[2] ?? a[3] ?? '', lt);
      }
      const element: StorageElement = { name, attributes, children: [] };
      (stack.at(-1) as StorageElement).children.push(element);
      if (!selfClosing) stack.push(element);
    }
    i = tag.lastIndex;
  }
  if (stack.length !== 1) throw new StorageFormatError(`<${stack.at(-1)?.name}> is never closed`);
  return root;
}

/** The problem Confluence would answer 400 with, or undefined for a body it accepts. */
export function storageProblem(body: unknown): string | undefined {
  if (typeof body !== 'string') return 'the storage value must be a string';
  try {
    parseStorage(body);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The text of an element and everything in it (what a reader sees). */
export function textOf(node: StorageElement | string): string {
  return typeof node === 'string' ? node : node.children.map(textOf).join('');
}

/** Every element with this name, depth first. */
export function elementsNamed(node: StorageElement, name: string): StorageElement[] {
  return node.children.flatMap((c) =>
    typeof c === 'string' ? [] : [...(c.name === name ? [c] : []), ...elementsNamed(c, name)],
  );
}
