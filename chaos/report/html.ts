/**
 * report.html: one self-contained file (inline CSS, the chart as inline SVG, no script, nothing
 * fetched), with the same blocks as report.md.
 */
import type { Block } from './document';

export const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/**
 * The SVG ready to inline: without its XML prolog and namespace declarations (HTML places an
 * inline <svg> in the SVG namespace itself), so the page names no URL it does not link to.
 */
export function inlineSvg(svg: string): string {
  return svg
    .replace(/<\?xml[^>]*\?>\s*/g, '')
    .replace(/<!DOCTYPE[^>]*>\s*/gi, '')
    .replace(/\s+xmlns(:\w+)?="[^"]*"/g, '')
    .replace(/xlink:href=/g, 'href=');
}

/** Colour-blind-safe (Okabe–Ito) tones for the verdict banner; its words say the verdict too. */
const banner = {
  good: { background: '#e3f4ee', border: '#009E73' },
  expected: { background: '#e8f1f8', border: '#0072B2' },
  bad: { background: '#fbe9e1', border: '#D55E00' },
  stopped: { background: '#f0f0f0', border: '#555555' },
} as const;

const STYLE = `
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a; margin: 24px auto; max-width: 1100px; padding: 0 16px; }
h1 { font-size: 1.5em; margin: 0 0 12px; }
h2 { font-size: 1.15em; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.verdict { border-left: 8px solid; padding: 12px 16px; font-size: 1.15em; font-weight: 600; margin: 0 0 16px; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; }
td { overflow-wrap: anywhere; }
table.facts { width: auto; }
table.facts th { font-weight: normal; color: #555; background: none; }
.chart { overflow-x: auto; }
.chart svg { max-width: 100%; height: auto; }
ul { padding-left: 20px; }
`;

function tone(block: Extract<Block, { kind: 'verdict' }>): { background: string; border: string } {
  if (block.outcome === 'interrupted') return banner.stopped;
  if (!block.asExpected) return banner.bad;
  return block.outcome === 'deviated' ? banner.expected : banner.good;
}

function table(head: string[] | undefined, rows: string[][], className?: string): string {
  const cls = className ? ` class="${className}"` : '';
  const headRow = head ? `<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>` : '';
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<table${cls}>${headRow}<tbody>\n${body}\n</tbody></table>`;
}

export function renderHtml(blocks: Block[], svg: string): string {
  const title = blocks.find((b) => b.kind === 'title');
  const parts = blocks.map((block) => {
    switch (block.kind) {
      case 'title':
        return `<h1>${escapeHtml(block.text)}</h1>`;
      case 'verdict': {
        const { background, border } = tone(block);
        return `<p class="verdict" style="background:${background};border-color:${border}">${escapeHtml(block.text)}</p>`;
      }
      case 'heading':
        return `<h2>${escapeHtml(block.text)}</h2>`;
      case 'paragraph':
        return `<p>${escapeHtml(block.text)}</p>`;
      case 'facts':
        return `<table class="facts"><tbody>\n${block.rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('\n')}\n</tbody></table>`;
      case 'table':
        return table(block.head, block.rows);
      case 'chart':
        return `<div class="chart">${inlineSvg(svg)}</div>`;
      case 'list':
        return `<ul>\n${block.items.map((item) => `<li>${escapeHtml(item)}</li>`).join('\n')}\n</ul>`;
    }
  });
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title && title.kind === 'title' ? title.text : 'Experiment report')}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...parts,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
