/**
 * Renders a TicketDocument as Atlassian Document Format with Atlassian's own builders
 * (@atlaskit/adf-utils), for Jira Cloud REST v3. Text from alarms and hosts only ever goes into
 * `text` nodes, so it can never become markup; tests validate every document against
 * @atlaskit/adf-schema.
 *
 * The builders are imported from the package's CJS file by path: the package has no `exports` map
 * and Node's ESM loader refuses its subpath directories (see types/atlaskit-adf-utils.d.ts).
 */
import {
  bulletList,
  code,
  doc,
  heading,
  link,
  listItem,
  paragraph,
  strong,
  table,
  tableCell,
  tableHeader,
  tableRow,
  text,
} from '@atlaskit/adf-utils/dist/cjs/builders.js';
import type { Block, Inline, TicketDocument } from './document.ts';

export type AdfDocument = ReturnType<typeof doc>;
type InlineNode = ReturnType<typeof text> | ReturnType<typeof strong>;

/** ADF rejects empty text nodes; a cell or paragraph with nothing to say gets a dash. */
const nonEmpty = (s: string): string => (s.length > 0 ? s : '—');

function inline(i: Inline): InlineNode {
  const value = nonEmpty(i.text);
  if (i.href) return link({ href: i.href })(i.bold ? strong(value) : value);
  if (i.code) return code(value);
  if (i.bold) return strong(value);
  return text(value);
}

type BlockNode = Parameters<typeof doc>[number];

function block(b: Block): BlockNode[] {
  switch (b.type) {
    case 'paragraph':
      return [paragraph(...b.content.map(inline))];
    case 'bullets':
      return b.items.length === 0
        ? []
        : [bulletList(...b.items.map((item) => listItem([paragraph(...item.map(inline))])))];
    case 'table':
      return [
        table(
          tableRow(b.header.map((h) => tableHeader({})(paragraph(text(nonEmpty(h)))))),
          ...b.rows.map((r) => tableRow(r.map((v) => tableCell({})(paragraph(text(nonEmpty(v))))))),
        ),
      ];
  }
}

export function toAdf(document: TicketDocument): AdfDocument {
  return doc(
    ...document.sections.flatMap((s) => [
      heading({ level: 2 })(text(nonEmpty(s.title))),
      ...s.blocks.flatMap(block),
    ]),
  );
}
