/**
 * Renders a review document in Confluence's storage format (XHTML), which both Confluence Cloud
 * (REST v2, `representation: storage`) and Data Center accept. Everything from an alarm or a host
 * is escaped here, in one place, so it stays text: no element, no macro (`<ac:…>`), no entity.
 */
import type { Inline } from './document.ts';
import { EPISODE_MARKER, type ReviewBlock, type ReviewDocument } from './review.ts';

/** XML 1.0 forbids these characters even escaped (and lone surrogates); they become spaces. */
const NOT_XML =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters XML 1.0 cannot carry
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function escapeXml(value: string): string {
  return value.replace(NOT_XML, ' ').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Only medic-built http(s) URLs become links; anything else is shown as text. */
function safeHref(href: string): string | null {
  try {
    const url = new URL(href);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : null;
  } catch {
    return null;
  }
}

function inline(i: Inline): string {
  const text = escapeXml(i.text);
  const href = i.href ? safeHref(i.href) : null;
  if (href) return `<a href="${escapeXml(href)}">${text}</a>`;
  if (i.code) return `<code>${text}</code>`;
  if (i.bold) return `<strong>${text}</strong>`;
  return text;
}

function block(b: ReviewBlock): string {
  switch (b.type) {
    case 'paragraph':
      return `<p>${b.content.map(inline).join('')}</p>`;
    case 'bullets':
      return b.items.length === 0
        ? ''
        : `<ul>${b.items.map((item) => `<li>${item.map(inline).join('')}</li>`).join('')}</ul>`;
    case 'table':
      return `<table><tbody><tr>${b.header.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>${b.rows
        .map((r) => `<tr>${r.map((v) => `<td>${escapeXml(v)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`;
    case 'tasks':
      return b.items.length === 0
        ? ''
        : `<ac:task-list>${b.items
            .map(
              (item, n) =>
                `<ac:task><ac:task-id>${n + 1}</ac:task-id><ac:task-status>incomplete</ac:task-status><ac:task-body>${escapeXml(item)}</ac:task-body></ac:task>`,
            )
            .join('')}</ac:task-list>`;
  }
}

export function toStorage(document: ReviewDocument): string {
  return document.sections
    .map((s) => `<h2>${escapeXml(s.title)}</h2>${s.blocks.map(block).join('')}`)
    .join('');
}

/** The episode a stored review belongs to (the marker's text, unescaped), or null. */
export function storageEpisodeKey(body: string): string | null {
  const at = body.indexOf(escapeXml(EPISODE_MARKER));
  if (at < 0) return null;
  const rest = body.slice(at + escapeXml(EPISODE_MARKER).length);
  const escaped = /^[^<]*/.exec(rest)?.[0] ?? '';
  const key = escaped.replace(
    /&#(\d+);|&(amp|lt|gt|quot|apos);/g,
    (_m, code: string | undefined, name: string | undefined) =>
      code
        ? String.fromCharCode(Number(code))
        : (({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[name ?? ''] ??
          ''),
  );
  return key.trim() || null;
}
