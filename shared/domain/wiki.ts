/**
 * Renders a TicketDocument as Jira wiki markup, for Jira Data Center / Server (REST v2). Everything
 * that comes from an alarm or a host is escaped so it renders as the literal text it was: no
 * formatting, no macros ({code}, {noformat}), no links, no table breaks.
 */
import type { Block, Inline, TicketDocument } from './document.ts';

/**
 * Jira wiki markup has no single escape for everything: backslash escapes the markup characters,
 * `|` would end a table cell, line breaks would end a row or a paragraph, and `{` opens macros.
 */
export function escapeWiki(value: string): string {
  if (value === '') return '\\-';
  return (
    value
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are stripped on purpose
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, ' ')
      .replace(/\r?\n|\r/g, ' ')
      .replace(/[\\*_+^~?{}[\]|!#]/g, (c) => `\\${c}`)
      // A dash opens -strike-, a list or a rule only at the start or after a space; inside
      // ids and timestamps (web-1, 2026-03-01) it is left readable.
      .replace(/(^|\s)-/g, '$1\\-')
      // A leading "h1." or "bq." would become a heading/quote; spaces break the token.
      .replace(/^(h[1-6]|bq)\./i, '$1\\.')
  );
}

/** Only medic-built URLs reach here; still, characters that would break the link syntax are encoded. */
function wikiUrl(href: string): string {
  return href.replace(/[|\][ ]/g, (c) => encodeURIComponent(c));
}

function inline(i: Inline): string {
  const escaped = escapeWiki(i.text);
  if (i.href) return `[${escaped}|${wikiUrl(i.href)}]`;
  if (i.code) return `{{${escaped}}}`;
  // Jira only closes *bold* when no space precedes the closing star: keep spaces outside.
  if (i.bold) {
    const m = /^(\s*)(.*?)(\s*)$/s.exec(escaped);
    return m?.[2] ? `${m[1]}*${m[2]}*${m[3]}` : escaped;
  }
  return escaped;
}

function block(b: Block): string {
  switch (b.type) {
    case 'paragraph':
      return b.content.map(inline).join('');
    case 'bullets':
      return b.items.map((item) => `* ${item.map(inline).join('')}`).join('\n');
    case 'table':
      return [
        `||${b.header.map(escapeWiki).join('||')}||`,
        ...b.rows.map((r) => `|${r.map(escapeWiki).join('|')}|`),
      ].join('\n');
  }
}

export function toWiki(document: TicketDocument): string {
  return document.sections
    .map((s) => [`h2. ${escapeWiki(s.title)}`, ...s.blocks.map(block).filter((x) => x !== '')].join('\n\n'))
    .join('\n\n');
}
