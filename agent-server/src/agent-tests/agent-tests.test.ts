// `agent-bridge test`: every expectation kind holds and fails with a clear message naming the timeline entry that
// explains it, simulated workflows answer in time, late or never, broken files are named by line, and the JUnit
// report is what CI systems read. Runs a small agent of its own against the in-process server.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { BUNDLED_AGENTS_DIR, loadAgents } from '../agents/agent-files';
import { validateAgentsDir } from '../agents/validate';
import { createOfflineEngine } from '../engine/offline';
import { n8nOptionsFrom, runTestCommand } from './command';
import { parseTestFile, testFileJsonSchema } from './format';
import { textReport } from './report';
import type { ApiCall } from './api-client';
import { findTestFiles, runTestFile, runTests, type ConversationResult, type FileResult } from './runner';

jest.setTimeout(30_000);

const AGENT = `
id: shop-assistant
name: Shop Assistant
fields:
  - name: product
    question: Which product are you asking about, a desk or a chair?
    mapsTo: custom_field.product
    extract: { kind: keywords, keywords: [{ match: [desk], value: desk }, { match: [chair], value: chair }] }
  - name: email
    question: What's your email?
    mapsTo: contact.email
    required: false
    extract: { kind: email }
intents:
  - { name: wants_human, keywords: [human] }
  - { name: order, keywords: [order it, buy it] }
  - { name: bye, keywords: [goodbye] }
actions:
  - id: stock_check
    name: Stock Check
    condition: { fieldsProvided: [product] }
    expects: { fields: [custom_field.stock], timeoutMs: 400, holdingReply: Checking the stock — one moment. }
  - id: place_order
    name: Place Order
    condition: { intent: [order], fieldsProvided: [product] }
replies:
  greeting: Hi {{contact.first_name | there}}!
  rules:
    - when: { field: custom_field.stock }
      text: "The {{collected.product}} is in stock: {{contact.custom_field.stock}} left."
      once: true
  allCollected: Anything else?
disclosure:
  fields:
    - { field: custom_field.supplier_cost, level: never, asks: [supplier cost] }
tagRules:
  - { tag: price_asker, keywords: [price] }
handoff: { intents: [wants_human], message: A teammate will take over here. }
ending: { closingIntents: [bye] }
`;

let dir: string;
beforeEach(() => {
	dir = mkdtempSync(path.join(tmpdir(), 'agent-tests-'));
	writeFileSync(path.join(dir, 'shop-assistant.yaml'), AGENT);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(source: string): Promise<FileResult> {
	const file = path.join(dir, 'shop.test.yaml');
	writeFileSync(file, source);
	return runTestFile(file, { engine: createOfflineEngine() });
}

const checks = (r: FileResult, conv = 0) => r.conversations[conv].turns.flatMap((t) => t.checks.map((c) => ({ turn: t.index, ...c })));

describe('every expectation kind', () => {
	const conversation = (expectations: { first: string; second: string; third: string; fourth: string; end: string }) => `
agent: shop-assistant
workflows:
  - { on: { action: stock_check }, afterMs: 50, write: { customFields: { stock: 12 } } }
  - { on: { action: place_order }, tags: [ordered], reply: "Order placed for {{contact.first_name}}." }
conversations:
  - name: a desk is checked, ordered and the conversation ends
    contact: { firstName: Ada, customFields: { supplier_cost: "$99" } }
    turns:
      - say: What's the price of the desk?
        expect:
${expectations.first}
      - say: Please order it, my email is ada@example.com
        expect:
${expectations.second}
      - say: I want a human
        expect:
${expectations.third}
      - say: Hello?
        expect:
${expectations.fourth}
      - end: { outcome: booked }
        expect:
${expectations.end}
`;
	const holding = {
		first: `          reply: "The desk is in stock: 12 left."
          collected: { product: desk, email: null }
          contact: { firstName: Ada, email: null, customFields: { product: desk, stock: 12 } }
          tags: { has: [price_asker], lacks: [ordered] }
          fired: [stock_check]
          notFired: { place_order: waiting for intent order }
          status: active
          nothingWithheldDisclosed: true
          timeline: [wait.fulfilled, tag.added]`,
		second: `          reply: { contains: [Anything], notContains: "$99" }
          messages: [{ equals: Order placed for Ada. }]
          contact: { email: ada@example.com }
          tags: [price_asker, ordered]
          fired: [place_order]
          notFired: [stock_check]`,
		third: `          reply: { matches: "^a teammate will", flags: i }
          tags: [price_asker, ordered]
          status: handoff`,
		fourth: `          reply: null
          status: handoff`,
		end: `          status: ended
          outcome: booked`,
	};

	test('each one holds on a conversation that satisfies it, and the report says so turn by turn', async () => {
		const result = await run(conversation(holding));
		expect(result.error).toBeUndefined();
		const all = checks(result);
		expect(all.filter((c) => !c.ok)).toEqual([]);
		expect(all.map((c) => `${c.turn} ${c.label}`)).toEqual([
			'1 reply is "The desk is in stock: 12 left."',
			'1 collected product = "desk"',
			'1 email not collected',
			'1 contact firstName = "Ada"',
			'1 contact email = empty',
			'1 contact custom field product = "desk"',
			'1 contact custom field stock = "12"',
			'1 tagged price_asker',
			'1 not tagged ordered',
			'1 action stock_check fired',
			'1 action place_order not fired ("waiting for intent order")',
			'1 status active',
			'1 nothing withheld disclosed (custom_field.supplier_cost)',
			'1 timeline has wait.fulfilled',
			'1 timeline has tag.added',
			'2 reply contains "Anything"',
			'2 reply does not contain "$99"',
			'2 a later message is "Order placed for Ada."',
			'2 contact email = "ada@example.com"',
			'2 tagged price_asker',
			'2 tagged ordered',
			'2 action place_order fired',
			'2 action stock_check not fired',
			'3 reply matches /^a teammate will/i',
			'3 tagged price_asker',
			'3 tagged ordered',
			'3 status handoff',
			'4 no reply',
			'4 status handoff',
			'5 status ended',
			'5 ended with outcome booked',
		]);
		expect(result.conversations[0].ok).toBe(true);
		const report = textReport(result);
		expect(report).toContain('✓ a desk is checked, ordered and the conversation ends (shop-assistant, 5 turns');
		expect(report).toContain('turn 2: the contact says "Please order it, my email is ada@example.com"');
		expect(report).toContain('      ✓ action place_order fired');
	});

	test('each one fails with what was there instead and the timeline entry that explains it', async () => {
		const result = await run(
			conversation({
				first: `          reply: { contains: out of stock }
          collected: { product: chair }
          contact: { customFields: { stock: 3 } }
          tags: [vip]
          fired: [place_order]
          notFired: [stock_check]
          status: handoff
          timeline: [loop.blocked]`,
				second: `          messages: [{ contains: Order cancelled }]
          notFired: { place_order: waiting }
          tags: { lacks: [ordered] }`,
				third: `          reply: null
          outcome: negative`,
				fourth: `          reply: "Hello again"
          status: active`,
				end: `          outcome: negative`,
			}),
		);
		expect(result.conversations[0].ok).toBe(false);
		const failed = checks(result).filter((c) => !c.ok);
		const byLabel = Object.fromEntries(failed.map((c) => [`${c.turn} ${c.label}`, { actual: c.actual, explain: c.explain }]));
		expect(Object.keys(byLabel)).toHaveLength(16);
		expect(byLabel['1 reply contains "out of stock"'].actual).toBe('the reply was "The desk is in stock: 12 left."');
		expect(byLabel['1 reply contains "out of stock"'].explain).toContainEqual(expect.stringMatching(/^wait\.fulfilled: fields \["custom_field\.stock"\], waitedMs \d+$/));
		expect(byLabel['1 collected product = "chair"'].actual).toBe('product is "desk"');
		expect(byLabel['1 collected product = "chair"'].explain).toContainEqual(expect.stringMatching(/^fields\.updated: by agent, collected \{"product":"desk"\}/));
		expect(byLabel['1 contact custom field stock = "3"'].actual).toBe('it is "12"');
		expect(byLabel['1 contact custom field stock = "3"'].explain).toContainEqual(expect.stringMatching(/^fields\.updated: by workflow, contact .*"stock":12/));
		expect(byLabel['1 tagged vip'].actual).toBe("the contact's tags: price_asker");
		expect(byLabel['1 tagged vip'].explain).toContainEqual('tag.added: tag price_asker, addedBy agent');
		expect(byLabel['1 action place_order fired']).toEqual({
			actual: 'it did not: waiting for intent order',
			explain: ['action.not_fired: actionId place_order, reason waiting for intent order'],
		});
		expect(byLabel['1 action stock_check not fired'].actual).toBe('it fired: field product provided');
		expect(byLabel['1 action stock_check not fired'].explain).toContainEqual(expect.stringMatching(/^action\.fired: actionId stock_check, reason field product provided/));
		expect(byLabel['1 status handoff'].actual).toBe('the status is active');
		expect(byLabel['1 timeline has loop.blocked'].actual).toMatch(/^this turn wrote message, fields\.updated, /);
		expect(byLabel['2 a later message contains "Order cancelled"'].actual).toBe('later messages: "Order placed for Ada."');
		expect(byLabel['2 a later message contains "Order cancelled"'].explain).toContainEqual('workflow.reply: role agent, text Order placed for Ada.');
		expect(byLabel['2 action place_order not fired ("waiting")'].actual).toBe('it fired: field product provided and intent order detected');
		expect(byLabel['2 not tagged ordered'].explain).toContainEqual('tag.added: tag ordered, addedBy workflow');
		expect(byLabel['3 no reply'].actual).toBe('the agent answered "A teammate will take over here."');
		expect(byLabel['3 ended with outcome negative'].actual).toBe('the conversation has not ended (handoff (a human handles it))');
		expect(byLabel['3 ended with outcome negative'].explain).toContainEqual(expect.stringMatching(/^handoff: /));
		expect(byLabel['4 reply is "Hello again"'].actual).toBe('there was no reply');
		expect(byLabel['4 status active'].actual).toBe('the status is handoff (a human handles it)');
		expect(byLabel['5 ended with outcome negative'].actual).toBe('it ended with outcome booked');
		expect(byLabel['5 ended with outcome negative'].explain).toContainEqual(expect.stringMatching(/^conversation\.ended: reason handoff, outcome booked, by api$/));
		const report = textReport(result);
		expect(report).toContain('  ✗ a desk is checked, ordered and the conversation ends');
		expect(report).toContain('      ✗ action place_order fired — it did not: waiting for intent order\n          timeline: action.not_fired: actionId place_order, reason waiting for intent order');
	});

	test('a withheld value in any message fails "nothing withheld disclosed", naming the field and the message', async () => {
		const result = await run(`
agent: shop-assistant
workflows: [{ on: { action: stock_check }, write: { customFields: { stock: 99 } } }]
conversations:
  - name: the stock count happens to be the supplier cost
    contact: { customFields: { supplier_cost: "99" } }
    turns:
      - say: Is the chair available?
        expect: { nothingWithheldDisclosed: true }
`);
		const [check] = checks(result);
		expect(check).toMatchObject({
			label: 'nothing withheld disclosed (custom_field.supplier_cost)',
			ok: false,
			actual: 'disclosed: custom_field.supplier_cost ("99") in "The chair is in stock: 99 left."',
		});
	});
});

describe('simulated workflows', () => {
	const file = (workflow: string, expectations: string) => `
agent: shop-assistant
workflows: [${workflow}]
conversations:
  - name: the stock check
    turns:
      - say: Do you have the desk?
        expect:
${expectations}
`;

	test('in time: the agent waits for the fields the workflow writes and answers from them', async () => {
		const result = await run(
			file(
				'{ on: { action: stock_check }, afterMs: 200, write: { customFields: { stock: 4 } } }',
				`          reply: "The desk is in stock: 4 left."
          messages: []
          timeline: [wait.fulfilled]`,
			),
		);
		expect(checks(result).filter((c) => !c.ok)).toEqual([]);
		expect(result.conversations[0].turns[0].workflows).toEqual([expect.objectContaining({ workflow: 'on action stock_check', eventType: 'agent.action.triggered' })]);
	});

	test('late: the contact gets the holding reply, and the result follows as its own message within the turn', async () => {
		const result = await run(
			file(
				'{ name: Slow Stock, on: { action: stock_check }, afterMs: 900, write: { customFields: { stock: 2 } } }',
				`          reply: Checking the stock — one moment.
          messages: ["The desk is in stock: 2 left."]
          timeline: [wait.timed_out, wait.late_result]`,
			),
		);
		expect(checks(result).filter((c) => !c.ok)).toEqual([]);
		expect(result.conversations[0].durationMs).toBeGreaterThanOrEqual(900);
	});

	test('never: the holding reply stays the answer and nothing follows', async () => {
		const result = await run(
			file(
				'{ name: Broken Stock, on: { action: stock_check }, never: true }',
				`          reply: Checking the stock — one moment.
          contact: { customFields: { stock: null } }
          timeline: [wait.timed_out]
          messages: [{ contains: in stock }]`,
			),
		);
		const failed = checks(result).filter((c) => !c.ok);
		expect(failed.map((c) => [c.label, c.actual])).toEqual([['a later message contains "in stock"', 'no message came after the reply']]);
		expect(failed[0].explain).toContainEqual(expect.stringMatching(/^wait\.timed_out/));
	});

	test('an event no workflow answers is left unanswered, like a workflow that is not active', async () => {
		const result = await run(file('', `          reply: Checking the stock — one moment.`));
		expect(checks(result).filter((c) => !c.ok)).toEqual([]);
		expect(result.conversations[0].turns[0].workflows).toEqual([]);
	});

	test('a call back the server refuses fails the turn with the workflow, the event and the server\'s message', async () => {
		const result = await run(file('{ name: Bad Writer, on: { action: stock_check }, write: { customFields: { "2stock": 1 } } }', '          reply: x'));
		const turn = result.conversations[0].turns[0];
		expect(turn.error).toMatch(/^simulated workflow "Bad Writer" \(event evt_\w+\): write answered 400: body\/customFields/);
		expect(result.conversations[0].ok).toBe(false);
	});

	test('conversation workflows come before the file-wide ones for the same event', async () => {
		const result = await run(`
agent: shop-assistant
workflows: [{ on: { action: stock_check }, write: { customFields: { stock: 1 } } }]
conversations:
  - name: own workflow
    workflows: [{ on: { action: stock_check }, write: { customFields: { stock: 7 } } }]
    turns: [{ say: desk please, expect: { reply: "The desk is in stock: 7 left." } }]
  - name: the file's workflow
    turns: [{ say: desk please, expect: { reply: "The desk is in stock: 1 left." } }]
`);
		expect(result.conversations.map((c) => c.ok)).toEqual([true, true]);
	});
});

describe('files that cannot run', () => {
	test('a broken file is named with its line and path, and nothing runs', async () => {
		const result = await run(`agent: shop-assistant
conversations:
  - name: typo
    turns:
      - say: hi
        expect:
          reply: { contians: hello }
`);
		expect(result.conversations).toEqual([]);
		const shown = `${path.join(dir, 'shop.test.yaml')}:7: conversations.0.turns.0.expect.reply`;
		expect(result.error).toBe(`${shown}: Unrecognized key: "contians"\n${shown}: give equals, contains, matches or notContains`);
		expect(() => parseTestFile('conversations:\n  - name: x\n    turns: [{ say: hi, end: {} }]\n', 'x.test.yaml')).toThrow(
			'x.test.yaml:3: conversations.0.turns.0: give say (a message) or end, one of them',
		);
		expect(() => parseTestFile('conversations:\n  - name: x\n    turns: [{ say: hi }]\n', 'x.test.yaml')).toThrow(
			'x.test.yaml:2: conversations.0.agent: name the agent here or at the top of the file',
		);
		expect(() => parseTestFile('conversations: [\n', 'x.test.yaml')).toThrow(/^x\.test\.yaml:\d+: /);
	});

	test('a step the server refuses ends the conversation with the server\'s message', async () => {
		const result = await run('agent: shop-assistant\nconversations: [{ name: x, turns: [{ say: hi }, { end: {} }, { say: still there? }] }]\n');
		const [, , third] = result.conversations[0].turns;
		expect(third.error).toMatch(/^the message: the server answered 409: conversation conv_\w+ has ended; start a new one$/);
		expect(textReport(result)).toContain(`      ✗ ${third.error}`);
	});

	test('an agent that is not there fails the conversation with a clear message', async () => {
		const result = await run('agent: nobody\nconversations: [{ name: x, turns: [{ say: hi }] }]\n');
		expect(result.conversations[0].turns[0].error).toBe('no agent "nobody" among the agent files beside the test and the bundled agents');
	});
});

describe('the command', () => {
	const passing = 'agent: shop-assistant\nworkflows: [{ on: { action: stock_check }, write: { customFields: { stock: 5 } } }]\nconversations:\n  - name: "a <desk> & a \\"chair\\""\n    turns: [{ say: desk, expect: { reply: "The desk is in stock: 5 left." } }]\n';
	const failing = 'agent: shop-assistant\nconversations:\n  - name: wrong reply\n    turns: [{ say: hello, expect: { reply: { contains: "<b>bye</b>" } } }]\n';

	test('the JUnit report has a testsuite per file and a testcase per conversation, failures with their report', async () => {
		writeFileSync(path.join(dir, 'a.test.yaml'), passing);
		writeFileSync(path.join(dir, 'b.test.yaml'), failing);
		writeFileSync(path.join(dir, 'c.test.yaml'), 'agent: [\n');
		const output = path.join(dir, 'report.xml');
		let text = '';
		const code = await runTestCommand([dir], { engine: 'offline', reporter: 'junit', output }, (s) => (text += s));
		expect(code).toBe(1);
		const xml = readFileSync(output, 'utf8');
		expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="agent-bridge test" tests="3" failures="1" errors="1" time="[\d.]+">/);
		const a = path.join(dir, 'a.test.yaml');
		const b = path.join(dir, 'b.test.yaml');
		expect(xml).toContain(`<testsuite name="${a}" tests="1" failures="0" errors="0"`);
		expect(xml).toMatch(new RegExp(`<testcase classname="${a}" name="a &lt;desk&gt; &amp; a &quot;chair&quot;" time="[\\d.]+">\\n    </testcase>`));
		expect(xml).toContain(`<testcase classname="${b}" name="wrong reply"`);
		expect(xml).toContain(`<failure message="turn 1: reply contains &quot;&lt;b&gt;bye&lt;/b&gt;&quot; — the reply was &quot;Hi there! Which product are you asking about, a desk or a chair?&quot;">`);
		expect(xml).toMatch(/<testcase classname="[^"]*c\.test\.yaml" name="the file runs" time="0">\n {6}<error message="[^"]*c\.test\.yaml:\d+: /);
		expect(xml.match(/<testsuite /g)).toHaveLength(3);
		expect(xml.match(/<\/testsuite>/g)).toHaveLength(3);
		// The readable report still goes to the console.
		expect(text).toContain('1 passed, 1 failed, 1 file did not run (3 files)');
	});

	test('exits 0 when every conversation passes, 1 when one fails', async () => {
		writeFileSync(path.join(dir, 'a.test.yaml'), passing);
		let text = '';
		expect(await runTestCommand([path.join(dir, 'a.test.yaml')], { engine: 'offline', reporter: 'text' }, (s) => (text += s))).toBe(0);
		expect(text).toContain('1 passed, 0 failed (1 file)');
		writeFileSync(path.join(dir, 'b.test.yaml'), failing);
		expect(await runTestCommand([dir], { engine: 'offline', reporter: 'text' }, () => {})).toBe(1);
	});

	test('--n8n asks for both keys, and an n8n it cannot reach fails the file saying so', async () => {
		const env = {} as NodeJS.ProcessEnv;
		expect(() => n8nOptionsFrom({ engine: 'offline', reporter: 'text', n8n: 'http://127.0.0.1:1' }, env)).toThrow("--n8n needs n8n's public API key: --n8n-api-key or N8N_API_KEY");
		expect(() => n8nOptionsFrom({ engine: 'offline', reporter: 'text', n8n: 'http://127.0.0.1:1', n8nApiKey: 'k' }, env)).toThrow(
			"--n8n needs the API key of the workflows' Agent Bridge credential: --api-key or AGENT_BRIDGE_API_KEY",
		);
		expect(() => n8nOptionsFrom({ engine: 'offline', reporter: 'text', n8n: 'http://127.0.0.1:1', port: '0' }, { N8N_API_KEY: 'k', AGENT_BRIDGE_API_KEY: 'ab_x' })).toThrow('invalid port: 0');
		const port = await new Promise<number>((resolve) => {
			const probe = createServer().listen(0, '127.0.0.1', () => {
				const { port: free } = probe.address() as AddressInfo;
				probe.close(() => resolve(free));
			});
		});
		const n8n = n8nOptionsFrom({ engine: 'offline', reporter: 'text', n8n: 'http://127.0.0.1:1', port: String(port), n8nWorkflows: 'a, b' }, { N8N_API_KEY: 'k', AGENT_BRIDGE_API_KEY: 'ab_x' });
		expect(n8n).toEqual({ url: 'http://127.0.0.1:1', apiKey: 'k', agentBridgeApiKey: 'ab_x', host: '127.0.0.1', port, workflows: ['a', 'b'] });
		const file = path.join(dir, 'x.test.yaml');
		writeFileSync(file, 'agent: shop-assistant\nconversations: [{ name: x, turns: [{ say: hi }] }]\n');
		const result = await runTestFile(file, { engine: createOfflineEngine(), n8n });
		expect(result.conversations).toEqual([]);
		expect(result.error).toMatch(/^n8n at http:\/\/127\.0\.0\.1:1 cannot be reached: /);
	});

	test('asks for a model when --engine model has none, and names a folder without tests', async () => {
		const saved = { base: process.env.OPENAI_BASE_URL, key: process.env.OPENAI_API_KEY };
		delete process.env.OPENAI_BASE_URL;
		delete process.env.OPENAI_API_KEY;
		try {
			await expect(runTestCommand([dir], { engine: 'model', reporter: 'text' }, () => {})).rejects.toThrow(/--engine model needs a model: set OPENAI_BASE_URL/);
		} finally {
			if (saved.base !== undefined) process.env.OPENAI_BASE_URL = saved.base;
			if (saved.key !== undefined) process.env.OPENAI_API_KEY = saved.key;
		}
		await expect(runTestCommand([dir], { engine: 'offline', reporter: 'text' }, () => {})).rejects.toThrow(`no test files (*.test.yaml) under ${dir}`);
		await expect(runTestCommand([dir], { engine: 'fast', reporter: 'text' }, () => {})).rejects.toThrow('--engine must be offline or model, not "fast"');
	});
});

test('test files beside the agent files are not read as agents', () => {
	writeFileSync(path.join(dir, 'shop.test.yaml'), 'agent: shop-assistant\nconversations: [{ name: x, turns: [{ say: hi }] }]\n');
	const report = validateAgentsDir(dir);
	expect(report.problems).toEqual([]);
	expect(loadAgents(dir, { bundled: false }).list().map((a) => a.id)).toEqual(['shop-assistant']);
});

describe('the JSON Schema editors complete with', () => {
	const schemaFile = path.join(__dirname, '..', '..', 'agent-test.schema.json');

	test('is the test file schema as the runner reads it, and every example file validates against it', () => {
		const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
		// After a change to the format: npm run agent-test-schema --workspace agent-server
		expect(schema).toEqual(testFileJsonSchema());
		const validate = new Ajv2020({ allErrors: true, allowUnionTypes: true }).compile(schema);
		const examples = findTestFiles([BUNDLED_AGENTS_DIR]);
		expect(examples.length).toBeGreaterThanOrEqual(12);
		for (const file of examples) {
			const valid = validate(parse(readFileSync(file, 'utf8')));
			expect({ file, errors: valid ? null : validate.errors }).toEqual({ file, errors: null });
		}
		// What the runner refuses, the editor marks too.
		expect(validate({ agent: 'a', conversations: [{ name: 'x', turns: [{ say: 'hi', expect: { reply: { contians: 'x' } } }] }] })).toBe(false);
	});
});

describe('save as test', () => {
	test('every example conversation, saved from the server as a test file, passes again', async () => {
		const saved: string[] = [];
		const save = async (call: ApiCall, result: ConversationResult) => {
			const res = await call('GET', `/v1/conversations/${result.conversationId}/test`);
			expect(res.status).toBe(200);
			const file = path.join(dir, res.body.fileName);
			writeFileSync(file, res.body.yaml);
			saved.push(file);
		};
		const originals = await runTests(findTestFiles([BUNDLED_AGENTS_DIR]), { engine: createOfflineEngine(), afterConversation: save });
		expect(originals.every((f) => f.conversations.every((c) => c.ok))).toBe(true);
		expect(saved.length).toBe(originals.flatMap((f) => f.conversations).length);

		const again = await runTests(saved, { engine: createOfflineEngine() });
		const failures = again.flatMap((f) =>
			f.error ? [`${f.file}: ${f.error}`] : f.conversations.filter((c) => !c.ok).map((c) => textReport({ ...f, conversations: [c] })),
		);
		expect(failures).toEqual([]);
		// The circular chain's workflow is saved as it behaved: on the tag it removes and adds the tag again.
		const circular = saved.map((f) => parse(readFileSync(f, 'utf8'))).find((f) => f.conversations[0].turns[0].say === 'I need a new website ASAP');
		expect(circular.conversations[0].workflows).toEqual([{ on: { tagAdded: 'urgent_need' }, afterMs: expect.any(Number), removeTags: ['urgent_need'], tags: ['urgent_need'] }]);
	}, 120_000);

	test('an unknown conversation is a 404', async () => {
		const file = path.join(dir, 'x.test.yaml');
		writeFileSync(file, 'agent: shop-assistant\nconversations: [{ name: x, turns: [{ say: hi }] }]\n');
		let status = 0;
		const lookUp = async (call: ApiCall) => {
			status = (await call('GET', '/v1/conversations/conv_nope/test')).status;
		};
		await runTestFile(file, { engine: createOfflineEngine(), afterConversation: lookUp });
		expect(status).toBe(404);
	});
});
