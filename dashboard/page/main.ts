/**
 * The dashboard page's entry, bundled by esbuild into dist/dashboard/app.js and app.css (no CDN, no
 * network): a Preact app fed by the dashboard server's Server-Sent Events.
 */
import { h, render } from 'preact';
import { App } from './app';
import './style.css';

const root = document.getElementById('app');
if (root) {
  // The server-rendered "Loading…" line goes; Preact does not replace what is there.
  root.textContent = '';
  render(h(App, null), root);
}
