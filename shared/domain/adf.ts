/**
 * A minimal Atlassian Document Format builder. Text from alarms and hosts only ever goes into
 * `text` nodes, so it can never become markup. (Issue #6 moves this onto @atlaskit/adf-utils.)
 */
export type AdfNode = Record<string, unknown>;

export const text = (value: string, marks?: AdfNode[]): AdfNode => ({
  type: 'text',
  text: value.length > 0 ? value : ' ',
  ...(marks ? { marks } : {}),
});
export const strong = (value: string): AdfNode => text(value, [{ type: 'strong' }]);
export const link = (value: string, href: string): AdfNode =>
  text(value, [{ type: 'link', attrs: { href } }]);
export const paragraph = (...content: AdfNode[]): AdfNode => ({ type: 'paragraph', content });
export const heading = (level: number, value: string): AdfNode => ({
  type: 'heading',
  attrs: { level },
  content: [text(value)],
});
export const bulletList = (items: AdfNode[][]): AdfNode => ({
  type: 'bulletList',
  content: items.map((content) => ({ type: 'listItem', content: [paragraph(...content)] })),
});
const cell = (type: 'tableHeader' | 'tableCell', value: string): AdfNode => ({
  type,
  content: [paragraph(text(value))],
});
export const table = (header: string[], rows: string[][]): AdfNode => ({
  type: 'table',
  attrs: { isNumberColumnEnabled: false, layout: 'default' },
  content: [
    { type: 'tableRow', content: header.map((h) => cell('tableHeader', h)) },
    ...rows.map((r) => ({ type: 'tableRow', content: r.map((v) => cell('tableCell', v)) })),
  ],
});
export const doc = (...content: AdfNode[]): AdfNode => ({ type: 'doc', version: 1, content });
