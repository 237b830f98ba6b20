// The API reference page (/api-reference.html): the OpenAPI document the gateway serves,
// rendered as one section per tag and one entry per operation (method, path, summary, who may
// call it, parameters, request body, responses). Text goes in through dom.js, never as markup.
import {h, replace} from './dom.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

// Follows a local "#/components/..." reference.
function resolve(spec, node) {
  if (!node || !node.$ref) return node;
  return node.$ref.slice(2).split('/').reduce((at, key) => at?.[key], spec);
}

function refName(schema) {
  return schema?.$ref ? schema.$ref.split('/').pop() : (schema?.type ?? 'object');
}

function security(spec, op) {
  const options = op.security ?? spec.security ?? [];
  if (options.length === 0) return 'anyone';
  return options.map((o) => Object.keys(o)[0] ?? 'anyone').join(' or ');
}

function parameters(spec, op, pathItem) {
  const all = [...(pathItem.parameters ?? []), ...(op.parameters ?? [])].map((p) => resolve(spec, p));
  if (all.length === 0) return null;
  return h('table', {class: 'api-params'},
      h('thead', null, h('tr', null, h('th', null, 'parameter'), h('th', null, 'in'),
          h('th', null, 'type'), h('th', null, 'required'))),
      h('tbody', null, all.map((p) => h('tr', null, h('td', null, h('code', null, p.name)),
          h('td', null, p.in), h('td', null, refName(p.schema)), h('td', null, p.required ? 'yes' : 'no')))));
}

function requestBody(spec, op) {
  const body = resolve(spec, op.requestBody);
  const schema = resolve(spec, body?.content?.['application/json']?.schema);
  if (!schema) return null;
  const required = schema.required?.length ? `required: ${schema.required.join(', ')}` : '';
  const fields = Object.keys(schema.properties ?? {}).join(', ');
  return h('p', {class: 'api-body'}, 'JSON body', fields ? ` (${fields})` : '',
      required ? `; ${required}` : '');
}

function responses(spec, op) {
  return h('ul', {class: 'api-responses'}, Object.entries(op.responses ?? {}).map(([code, r]) =>
    h('li', null, h('code', null, code), ' ', (resolve(spec, r)?.description ?? '').split('\n')[0])));
}

function operation(spec, path, pathItem, method) {
  const op = pathItem[method];
  return h('section', {class: 'api-operation', id: op.operationId},
      h('h3', null, h('span', {class: `api-method api-${method}`}, method.toUpperCase()), ' ',
          h('code', null, path)),
      h('p', null, op.summary ?? ''),
      h('p', {class: 'api-auth'}, `Who may call it: ${security(spec, op)}`),
      parameters(spec, op, pathItem), requestBody(spec, op), responses(spec, op));
}

function render(spec) {
  const byTag = new Map();
  for (const [path, pathItem] of Object.entries(spec.paths)) {
    for (const method of METHODS.filter((m) => pathItem[m])) {
      const tag = pathItem[method].tags?.[0] ?? 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operation(spec, path, pathItem, method));
    }
  }
  return [
    h('h1', null, spec.info.title, ' ', spec.info.version),
    h('p', {class: 'lede'}, (spec.info.description ?? '').split('\n\n')[0]),
    [...byTag].map(([tag, ops]) => h('section', {class: 'api-tag'}, h('h2', null, tag), ops)),
  ];
}

const main = document.getElementById('main');
try {
  const response = await fetch('/api/v1/openapi.json');
  if (!response.ok) throw new Error(`GET /api/v1/openapi.json answered ${response.status}`);
  replace(main, ...render(await response.json()));
} catch (error) {
  replace(main, h('h1', null, 'API reference'), h('p', {class: 'notice'}, String(error.message)));
}
