// Copies the front-end packages that the pages use from node_modules into app/web/static/vendor.
// Run by the install step after `npm ci`; nothing is loaded from a CDN.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const modules = join(root, 'node_modules');
const vendor = join(root, 'app', 'web', 'static', 'vendor');

const copies = [
  ['@kern-ux/native/dist/kern.min.css', 'kern/kern.min.css'],
  ['@kern-ux/native/dist/fonts', 'kern/fonts'],
  ['@kern-ux/native/LICENSE.md', 'kern/LICENSE.md'],
  ['bpmn-js/dist/bpmn-navigated-viewer.production.min.js', 'bpmn-js/bpmn-navigated-viewer.production.min.js'],
  ['bpmn-js/dist/bpmn-modeler.production.min.js', 'bpmn-js/bpmn-modeler.production.min.js'],
  ['bpmn-js/dist/assets', 'bpmn-js/assets'],
  ['bpmn-js/LICENSE', 'bpmn-js/LICENSE'],
  ['swagger-ui-dist/swagger-ui-bundle.js', 'swagger-ui/swagger-ui-bundle.js'],
  ['swagger-ui-dist/swagger-ui.css', 'swagger-ui/swagger-ui.css'],
  ['swagger-ui-dist/LICENSE', 'swagger-ui/LICENSE'],
];

rmSync(vendor, { recursive: true, force: true });
for (const [source, target] of copies) {
  const destination = join(vendor, target);
  mkdirSync(dirname(destination), { recursive: true });
  cpSync(join(modules, source), destination, { recursive: true });
}
console.log(`Front-end assets copied to ${vendor}`);
