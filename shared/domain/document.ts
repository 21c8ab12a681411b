/**
 * The ticket's content as a small neutral document (sections of paragraphs, bullet lists and
 * tables of plain strings). report.ts decides what is said; adf.ts (Jira Cloud), wiki.ts (Jira Data
 * Center) and html-report.ts render it. Everything from an alarm or a host stays a plain string
 * here, so each renderer escapes it for its own format in exactly one place.
 */
export interface Inline {
  text: string;
  bold?: boolean;
  /** Only medic-built URLs (execution, console) become links. */
  href?: string;
  code?: boolean;
}

export type Block =
  | { type: 'paragraph'; content: Inline[] }
  | { type: 'bullets'; items: Inline[][] }
  | { type: 'table'; header: string[]; rows: string[][] };

export interface Section {
  title: string;
  blocks: Block[];
}

export interface TicketDocument {
  sections: Section[];
}

export const t = (text: string): Inline => ({ text });
export const b = (text: string): Inline => ({ text, bold: true });
export const a = (text: string, href: string): Inline => ({ text, href });
export const para = (...content: Inline[]): Block => ({ type: 'paragraph', content });
export const bullets = (items: (Inline[] | string)[]): Block => ({
  type: 'bullets',
  items: items.map((i) => (typeof i === 'string' ? [t(i)] : i)),
});
export const grid = (header: string[], rows: string[][]): Block => ({ type: 'table', header, rows });

/** Plain text of a document, for the SNS message and the note: what a phone shows without markup. */
export function documentText(doc: TicketDocument): string {
  const inline = (c: Inline[]) => c.map((i) => (i.href ? `${i.text} (${i.href})` : i.text)).join('');
  const out: string[] = [];
  for (const s of doc.sections) {
    out.push(`== ${s.title}`);
    for (const block of s.blocks) {
      if (block.type === 'paragraph') out.push(inline(block.content));
      else if (block.type === 'bullets') for (const item of block.items) out.push(`- ${inline(item)}`);
      else {
        out.push(`| ${block.header.join(' | ')} |`);
        for (const row of block.rows) out.push(`| ${row.join(' | ')} |`);
      }
    }
    out.push('');
  }
  return out.join('\n');
}
