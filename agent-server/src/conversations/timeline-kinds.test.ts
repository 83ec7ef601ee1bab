// The timeline's kinds are one typed union; the inspector draws each and docs/debugging.md explains each.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

function timelineKinds(): string[] {
	const source = read('agent-server/src/store/conversations.ts');
	const union = /export type TimelineKind =([\s\S]*?);/.exec(source)?.[1] ?? '';
	return [...union.matchAll(/'([a-z_.]+)'/g)].map((m) => m[1]);
}

test('every timeline kind is drawn by the inspector and explained in the debugging guide', () => {
	const kinds = timelineKinds();
	expect(kinds.length).toBeGreaterThan(15);
	const inspector = read('agent-server/public/inspector.js');
	const docs = read('docs/debugging.md');
	for (const kind of kinds) {
		expect({ kind, inInspector: inspector.includes(`'${kind}'`) }).toEqual({ kind, inInspector: true });
		expect({ kind, inDocs: docs.includes(`\`${kind}\``) }).toEqual({ kind, inDocs: true });
	}
});
