import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAgentConfig, validateAgentConfig } from './agent-config';
import { loadAgents } from '../agents/agent-files';

function tempDir(files: Record<string, string>): string {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'agents-'));
	for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
	return dir;
}

const minimal = `
id: support-bot
name: Support Bot
fields:
  - name: email
    question: What is your email?
    mapsTo: contact.email
    extract: { kind: email }
  - name: budget
    question: Budget?
    mapsTo: custom_field.budget_range
    extract: { kind: amount }
actions:
  - id: notify
    name: Notify
    condition: { fieldsProvided: [email] }
`;

describe('agent config', () => {
	test('the bundled lead-qualifier loads with its fields, action and reply rules', () => {
		const registry = loadAgents();
		const agent = registry.get('lead-qualifier');
		expect(agent).toBeDefined();
		expect(agent!.fields.map((f) => [f.name, f.mapsTo])).toEqual(
			expect.arrayContaining([
				['service_needed', 'custom_field.service_interest'],
				['budget', 'custom_field.budget_range'],
				['timeline', 'custom_field.project_timeline'],
			]),
		);
		const scoring = agent!.actions.find((a) => a.id === 'lead_scoring')!;
		expect(scoring).toMatchObject({ name: 'Lead Scoring', once: true, condition: { fieldsProvided: ['budget', 'timeline'] } });
		expect(agent!.replies.rules[0].text).toBe('Great news! Let me connect you with a specialist. When works best for a quick call?');
		expect(registry.list().map((a) => a.id)).toContain('lead-qualifier');
	});

	test('defaults fill in what a minimal file leaves out', () => {
		const agent = parseAgentConfig(minimal, 'agents/support.yaml');
		expect(agent.fields[0].required).toBe(true);
		expect(agent.actions[0]).toMatchObject({ once: true, type: 'trigger_workflow', description: '' });
		expect(agent.replies.greeting).toContain('{{agent.name}}');
		expect(agent.replies.rules).toEqual([]);
		expect(agent.variables).toEqual({});
	});

	test('keyword maps and keyword lists both normalise to entries', () => {
		const result = validateAgentConfig({
			id: 'k',
			name: 'K',
			fields: [
				{ name: 'a', question: 'A?', mapsTo: 'custom_field.a', extract: { kind: 'keywords', keywords: { 'web site': 'website' } } },
				{ name: 'b', question: 'B?', mapsTo: 'custom_field.b', extract: { kind: 'keywords', keywords: [{ match: 'ios', value: 'app' }] } },
			],
		});
		expect(result.ok).toBe(true);
		if (result.ok) {
			expect(result.agent.fields[0].extract).toEqual({ kind: 'keywords', keywords: [{ match: ['web site'], value: 'website' }] });
			expect(result.agent.fields[1].extract).toEqual({ kind: 'keywords', keywords: [{ match: ['ios'], value: 'app' }] });
		}
	});

	test('an action condition naming an undeclared field is reported with file and path', () => {
		const dir = tempDir({ 'x.yaml': minimal.replace('fieldsProvided: [email]', 'fieldsProvided: [email, budgt]') });
		expect(() => loadAgents(dir, { bundled: false })).toThrow(
			`${path.join(dir, 'x.yaml')}: actions.0.condition.fieldsProvided.1: unknown field "budgt"`,
		);
	});

	test('every bad path is listed, one per line', () => {
		const text = `
id: Bad Id
name: ''
fields:
  - name: email
    question: Email?
    mapsTo: contact.mail
    extract: { kind: telepathy }
  - name: email
    question: Again?
    mapsTo: custom_field.x
    extract: { kind: pattern, pattern: "([a-z" }
unknownKey: 1
`;
		let message = '';
		try {
			parseAgentConfig(text, 'agents/bad.yaml');
		} catch (e) {
			message = (e as Error).message;
		}
		const lines = message.split('\n');
		expect(lines.every((l) => l.startsWith('agents/bad.yaml: '))).toBe(true);
		expect(message).toMatch(/agents\/bad\.yaml: id: /);
		expect(message).toMatch(/agents\/bad\.yaml: name: /);
		expect(message).toMatch(/agents\/bad\.yaml: fields\.0\.mapsTo: must be contact\.first_name/);
		expect(message).toMatch(/agents\/bad\.yaml: fields\.0\.extract/);
		expect(message).toMatch(/agents\/bad\.yaml: fields\.1\.extract\.pattern: invalid regular expression/);
		expect(message).toMatch(/unknownKey/);
	});

	test('cross references: duplicate field, unknown intent, reply for an unknown action', () => {
		const result = validateAgentConfig({
			id: 'x',
			name: 'X',
			fields: [
				{ name: 'a', question: 'A?', mapsTo: 'custom_field.a', extract: { kind: 'email' } },
				{ name: 'a', question: 'A?', mapsTo: 'custom_field.b', extract: { kind: 'email' } },
			],
			actions: [{ id: 'go', name: 'Go', condition: { intent: ['book'] } }],
			replies: { actions: { gone: 'Done.' } },
		});
		expect(result.ok).toBe(false);
		if (!result.ok) {
			expect(result.errors).toEqual(
				expect.arrayContaining([
					'fields.1.name: duplicate field "a"',
					'actions.0.condition.intent.0: unknown intent "book"',
					'replies.actions.gone: unknown action "gone"',
				]),
			);
		}
	});

	test('an empty condition is refused', () => {
		const result = validateAgentConfig({ id: 'x', name: 'X', actions: [{ id: 'go', name: 'Go', condition: {} }] });
		expect(result).toEqual({ ok: false, errors: ['actions.0.condition: needs at least one of fieldsProvided, intent, tags, asks'] });
	});

	test('YAML syntax errors and duplicate ids name the file', () => {
		const dir = tempDir({ 'a.yaml': 'id: [unclosed', 'b.json': JSON.stringify({ id: 'lead-qualifier', name: 'Copy' }) });
		let message = '';
		try {
			loadAgents(dir);
		} catch (e) {
			message = (e as Error).message;
		}
		expect(message).toContain(`${path.join(dir, 'a.yaml')}: cannot parse`);
		expect(message).toContain(`${path.join(dir, 'b.json')}: id: duplicate agent id "lead-qualifier" (also in agents/lead-qualifier.yaml)`);
	});

	test('JSON and .yml files of a directory load beside the bundled examples', () => {
		const dir = tempDir({
			'one.json': JSON.stringify({ id: 'one', name: 'One' }),
			'two.yml': 'id: two\nname: Two\n',
			'notes.txt': 'ignored',
		});
		const registry = loadAgents(dir);
		// The bundled examples grow over time; the directory's files come on top of whatever they are.
		const bundled = loadAgents().list().map((a) => a.id);
		expect(bundled).toContain('lead-qualifier');
		expect(registry.list().map((a) => a.id).sort()).toEqual([...bundled, 'one', 'two'].sort());
		expect(registry.get('nope')).toBeUndefined();
		expect(() => loadAgents(path.join(dir, 'missing'))).toThrow('agent directory not found');
	});
});
