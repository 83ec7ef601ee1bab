// `agent-bridge doctor`: one real call to the configured model, and what is wrong with it in plain words.
import { z } from 'zod';
import { createModelClient, ModelCallError, type ModelRequestEvent } from './model-client';
import type { ModelSettings } from './model-settings';
import { providerProfile } from './providers';

export interface DoctorReport {
	ok: boolean;
	lines: string[];
}

const Probe = z.object({ ok: z.boolean(), word: z.string() });
const PROBE_SCHEMA = { type: 'object', additionalProperties: false, required: ['ok', 'word'], properties: { ok: { type: 'boolean' }, word: { type: 'string' } } };

/** The advice for a failed probe: which setting to look at. */
export function explainFailure(error: ModelCallError, settings: ModelSettings, provider: string): string {
	const detail = error.detail ? ` The provider said: "${error.detail}"` : '';
	const mentions = (word: string) => (error.detail ?? '').toLowerCase().includes(word);
	switch (error.kind) {
		case 'auth':
			return `The API key was refused (HTTP ${error.status}): check OPENAI_API_KEY.${detail}`;
		case 'not_found':
			return `The model "${settings.model}" is unknown to ${settings.baseURL} (HTTP 404): check OPENAI_MODEL, or that OPENAI_BASE_URL ends where the provider's /chat/completions starts.${detail}`;
		case 'bad_request':
			if (mentions('response_format') || mentions('json_schema') || mentions('json_object') || mentions('schema')) {
				return `The provider refused the structured output this profile (${provider}) asks for: no structured output support for this model. Try MODEL_PROVIDER=generic (json_schema), llamacpp (json_object) or anthropic (JSON asked for in the prompt).${detail}`;
			}
			if (mentions('temperature')) return `A parameter was refused: temperature. Unset MODEL_TEMPERATURE (the provider's default is used then).${detail}`;
			if (mentions('max_tokens') || mentions('max_completion_tokens')) {
				return `A parameter was refused: the output token limit. Set MODEL_PROVIDER to the provider's profile (it decides max_tokens or max_completion_tokens), or check MODEL_MAX_TOKENS.${detail}`;
			}
			return `The provider refused the request (HTTP ${error.status}): a parameter it does not accept.${detail}`;
		case 'rate_limited':
			return `The provider is rate limiting this key (HTTP 429): the account's quota or rate limit is reached.${detail}`;
		case 'server_error':
			return `The provider failed (HTTP ${error.status}). If this repeats, the model may not support the structured output mode of profile ${provider}; try MODEL_PROVIDER=llamacpp (json_object).${detail}`;
		case 'timeout':
		case 'deadline':
			return `No answer within ${settings.timeoutMs} ms (MODEL_TIMEOUT_MS) / ${settings.turnDeadlineMs} ms per turn (MODEL_TURN_DEADLINE_MS): the model is too slow or the server hangs.`;
		case 'unreachable':
			return `Cannot reach ${settings.baseURL}: check OPENAI_BASE_URL and that the server is running.`;
		case 'malformed':
			return `The model answered, but not with the JSON asked for (${error.reason}): no usable structured output. Try another MODEL_PROVIDER profile or a stronger model.`;
		default:
			return error.reason;
	}
}

/** Calls the configured model once, as a turn would (same profile, parameters and deadline), and explains the result. */
export async function checkModel(settings: ModelSettings): Promise<DoctorReport> {
	const profile = providerProfile(settings.baseURL, settings.model, settings.provider);
	const events: ModelRequestEvent[] = [];
	const client = createModelClient({
		baseURL: settings.baseURL,
		apiKey: settings.apiKey,
		profile,
		timeoutMs: settings.timeoutMs,
		maxRetries: 0,
		temperature: settings.temperature,
		maxTokens: settings.maxTokens,
		listener: (e) => {
			if (e.type === 'request') events.push(e);
		},
	});
	const lines = [
		`endpoint: ${settings.baseURL}`,
		`model: ${settings.model}`,
		`profile: ${profile.id}${settings.provider ? ' (MODEL_PROVIDER)' : ' (detected)'}: ${profile.structuredOutput}${profile.strict ? ' strict' : ''}, ${profile.maxTokensParam}=${settings.maxTokens}, temperature ${profile.temperature && settings.temperature !== undefined ? settings.temperature : 'not sent'}`,
	];
	try {
		const answer = await client.completeJson(
			'check',
			settings.model,
			[
				{ role: 'system', content: 'This is a connection check. Answer with JSON: {"ok": true, "word": "ready"}.' },
				{ role: 'user', content: 'Check.' },
			],
			'connection_check',
			PROBE_SCHEMA,
			Date.now() + settings.turnDeadlineMs,
		);
		const parsed = Probe.safeParse(answer.value);
		if (!parsed.success) {
			lines.push('The model answered with JSON of another shape: its structured output is not enforced. Turns will often fall back to the rules.');
			return { ok: false, lines };
		}
		const ms = events.at(-1)?.latencyMs ?? 0;
		lines.push(`OK: the model answered with valid structured output in ${ms} ms (${answer.tokensIn} tokens in, ${answer.tokensOut} out).`);
		return { ok: true, lines };
	} catch (error) {
		lines.push(error instanceof ModelCallError ? explainFailure(error, settings, profile.id) : `The check failed: ${String(error)}`);
		return { ok: false, lines };
	}
}
