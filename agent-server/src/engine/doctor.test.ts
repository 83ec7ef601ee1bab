// `agent-bridge doctor`: one call to the configured model, and what is wrong in plain words; the settings it reads.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { checkModel } from './doctor';
import { MODEL_DEFAULTS, type ModelSettings } from './model-settings';
import { parseModelSettings } from '../settings';
import { startLiteralModel, type LiteralModel, type LiteralModelOptions } from '../testing/literal-model';

let fake: LiteralModel;
afterEach(async () => {
	await fake?.close();
});

async function doctor(options: LiteralModelOptions, over: Partial<ModelSettings> = {}) {
	fake = await startLiteralModel({ apiKey: 'good-key', models: ['good-model'], ...options });
	return checkModel({ baseURL: fake.url, apiKey: 'good-key', model: 'good-model', timeoutMs: 1_000, maxRetries: 0, turnDeadlineMs: 2_000, maxTokens: 200, ...over });
}

describe('doctor', () => {
	test('a working model: OK with the profile it used', async () => {
		const report = await doctor({});
		expect(report.ok).toBe(true);
		expect(report.lines.at(-1)).toMatch(/^OK: the model answered with valid structured output/);
		expect(report.lines).toContain('profile: generic (detected): json_schema, max_tokens=200, temperature not sent');
	});

	test.each<[string, LiteralModelOptions, Partial<ModelSettings>, RegExp]>([
		['wrong key', { personality: 'openai' }, { apiKey: 'sk-bad-0123456789abcdefgh' }, /^The API key was refused \(HTTP 401\): check OPENAI_API_KEY\./],
		['unknown model', { personality: 'ollama' }, { model: 'llama9' }, /^The model "llama9" is unknown to .* \(HTTP 404\)/],
		['parameter refused', { personality: 'openai', models: ['o3'] }, { model: 'o3', provider: 'vllm' }, /^A parameter was refused: the output token limit/],
		['no structured output support', { personality: 'groq' }, { provider: 'generic' }, /refused the structured output mode json_schema.*MODEL_PROVIDER=llamacpp \(json_object\)/],
		['older server failing on json_schema', { personality: 'llamacpp' }, { provider: 'generic' }, /HTTP 500.*try MODEL_PROVIDER=llamacpp/],
		['unreachable', {}, { baseURL: 'http://127.0.0.1:9/v1' }, /^Cannot reach http:\/\/127\.0\.0\.1:9\/v1/],
		['hangs', { script: () => ({ hang: true }) }, { timeoutMs: 300 }, /^No answer within 300 ms/],
	])('%s', async (_name, options, over, expected) => {
		const report = await doctor(options, over);
		expect(report.ok).toBe(false);
		expect(report.lines.at(-1)).toMatch(expected);
		expect(report.lines.join('\n')).not.toContain('sk-bad-0123456789abcdefgh');
	});

	test('the CLI prints the diagnosis and exits 1 when something is wrong', async () => {
		fake = await startLiteralModel({ apiKey: 'good-key' });
		const root = path.resolve(__dirname, '..', '..', '..');
		const run = promisify(execFile);
		const env = { ...process.env, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'wrong', OPENAI_MODEL: 'm', MODEL_TIMEOUT_MS: '1000' };
		const error = await run(path.join(root, 'node_modules', '.bin', 'tsx'), [path.join(root, 'agent-server', 'src', 'main.ts'), 'doctor'], { env, timeout: 30_000 }).catch((e) => e);
		expect(error.code).toBe(1);
		expect(error.stdout).toContain('The API key was refused (HTTP 401): check OPENAI_API_KEY.');
	}, 40_000);
});

describe('model settings', () => {
	test('no model configured: null (the offline engine answers)', () => {
		expect(parseModelSettings({})).toBeNull();
	});

	test('defaults, and every setting read', () => {
		expect(parseModelSettings({ OPENAI_API_KEY: 'k' })).toEqual({
			baseURL: 'https://api.openai.com/v1',
			apiKey: 'k',
			model: 'gpt-4o-mini',
			timeoutMs: MODEL_DEFAULTS.timeoutMs,
			maxRetries: MODEL_DEFAULTS.maxRetries,
			turnDeadlineMs: MODEL_DEFAULTS.turnDeadlineMs,
			maxTokens: MODEL_DEFAULTS.maxTokens,
		});
		expect(
			parseModelSettings({
				OPENAI_BASE_URL: 'http://localhost:11434/v1',
				OPENAI_MODEL: 'llama3.1',
				MODEL_PROVIDER: 'ollama',
				MODEL_TIMEOUT_MS: '5000',
				MODEL_MAX_RETRIES: '0',
				MODEL_TURN_DEADLINE_MS: '8000',
				MODEL_TEMPERATURE: '0.4',
				MODEL_MAX_TOKENS: '512',
			}),
		).toEqual({ baseURL: 'http://localhost:11434/v1', apiKey: 'none', model: 'llama3.1', provider: 'ollama', timeoutMs: 5000, maxRetries: 0, turnDeadlineMs: 8000, temperature: 0.4, maxTokens: 512 });
	});

	test('invalid values stop the start with every problem named', () => {
		expect(() =>
			parseModelSettings({ OPENAI_API_KEY: 'k', MODEL_TIMEOUT_MS: 'soon', MODEL_TEMPERATURE: '3', MODEL_PROVIDER: 'bard', OPENAI_BASE_URL: 'ftp://x' }),
		).toThrow(/MODEL_TIMEOUT_MS.*|MODEL_TEMPERATURE/);
		try {
			parseModelSettings({ OPENAI_API_KEY: 'k', MODEL_TIMEOUT_MS: 'soon', MODEL_TEMPERATURE: '3', MODEL_PROVIDER: 'bard', OPENAI_BASE_URL: 'ftp://x' });
		} catch (e) {
			for (const name of ['OPENAI_BASE_URL', 'MODEL_PROVIDER', 'MODEL_TIMEOUT_MS', 'MODEL_TEMPERATURE']) expect((e as Error).message).toContain(name);
		}
		expect(() => parseModelSettings({ OPENAI_API_KEY: 'k', MODEL_TIMEOUT_MS: '30000', MODEL_TURN_DEADLINE_MS: '10000' })).toThrow(
			'MODEL_TIMEOUT_MS: must not be longer than MODEL_TURN_DEADLINE_MS',
		);
	});
});
