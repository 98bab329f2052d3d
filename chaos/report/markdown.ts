/** report.md: the run report's blocks as Markdown, with the chart as chart.svg beside it. */
import type { Block } from './document';

const verdictIcon: Record<string, string> = { held: '✅', deviated: '⚠️', failed: '❌', aborted: '🛑', interrupted: '⏹' };

/** Text safe in a Markdown table cell or line: no pipes breaking cells, no line breaks, no HTML. */
export const mdText = (text: string) =>
  text
    .replace(/\r?\n|\r/g, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([*_`[\]])/g, '\\$1');

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.map(mdText).join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map(mdText).join(' | ')} |`)];
}

export function renderMarkdown(blocks: Block[], chartFile = 'chart.svg'): string {
  const lines: string[] = [];
  for (const block of blocks) {
    switch (block.kind) {
      case 'title':
        lines.push(`# ${mdText(block.text)}`, '');
        break;
      case 'verdict': {
        // Held is not good news when a deviation was expected, or when the run left the target unsettled.
        const icon =
          block.outcome === 'deviated' && block.asExpected ? '☑️' : block.outcome === 'held' && !block.asExpected ? '❌' : (verdictIcon[block.outcome] ?? '');
        lines.push(`**${icon} ${mdText(block.text)}**`, '');
        break;
      }
      case 'heading':
        lines.push(`## ${mdText(block.text)}`, '');
        break;
      case 'paragraph':
        lines.push(mdText(block.text), '');
        break;
      case 'facts':
        lines.push(...table(['', ''], block.rows), '');
        break;
      case 'table':
        lines.push(...table(block.head, block.rows), '');
        break;
      case 'chart':
        lines.push(`![The run over time](${chartFile})`, '');
        break;
      case 'list':
        lines.push(...block.items.map((item) => `- ${mdText(item)}`), '');
        break;
    }
  }
  return lines.join('\n');
}
