// `agent-bridge doctor`: one real call to the configured model, and what is wrong with it in plain words.
import { z } from 'zod';
import { createModelClient, ModelCallError, type ModelRequestEvent } from './model-client';
import type { ModelSettings } from './model-settings';
import { providerProfile, type ProviderProfile, type StructuredOutput } from './providers';

export interface DoctorReport {
	ok: boolean;
	lines: string[];
}

const Probe = z.object({ ok: z.boolean(), word: z.string() });
const PROBE_SCHEMA = { type: 'object', additionalProperties: false, required: ['ok', 'word'], properties: { ok: { type: 'boolean' }, word: { type: 'string' } } };

/** Profiles to try for each structured output mode, the one refused left out. */
const MODES: Record<StructuredOutput, string> = {
	json_schema: 'generic or lmstudio (json_schema)',
	json_object: 'llamacpp (json_object)',
	prompt: 'anthropic (JSON asked for in the prompt)',
};

/** Which structured output mode the provider's words refuse, when they say so. */
function refusedMode(detail: string, profile: ProviderProfile): StructuredOutput | null {
	const d = detail.toLowerCase();
	// LM Studio: "'response_format.type' must be 'json_schema' or 'text'": it is json_object that was refused.
	if (/must be .*json_schema/.test(d)) return 'json_object';
	if (d.includes('json_schema')) return 'json_schema';
	if (d.includes('json_object')) return 'json_object';
	return d.includes('response_format') || d.includes('schema') ? profile.structuredOutput : null;
}

function otherModes(refused: StructuredOutput): string {
	return (Object.keys(MODES) as StructuredOutput[]).filter((m) => m !== refused).map((m) => MODES[m]).join(' or ');
}

/** The advice for a failed probe: which setting to look at. */
export function explainFailure(error: ModelCallError, settings: ModelSettings, provider: string, profile: ProviderProfile = providerProfile(settings.baseURL, settings.model, settings)): string {
	const detail = error.detail ? ` The provider said: "${error.detail}"` : '';
	const mentions = (word: string) => (error.detail ?? '').toLowerCase().includes(word);
	const reasoningHint = profile.reasoning ? '' : ' If the model is a reasoning model whose name does not say so, set MODEL_REASONING=true.';
	switch (error.kind) {
		case 'auth':
			return `The API key was refused (HTTP ${error.status}): check OPENAI_API_KEY.${detail}`;
		case 'not_found':
			return `The model "${settings.model}" is unknown to ${settings.baseURL} (HTTP 404): check OPENAI_MODEL, or that OPENAI_BASE_URL ends where the provider's /chat/completions starts.${detail}`;
		case 'bad_request': {
			if (mentions('temperature')) return `A parameter was refused: temperature. Unset MODEL_TEMPERATURE (the provider's default is used then).${reasoningHint}${detail}`;
			if (mentions('max_tokens') || mentions('max_completion_tokens')) {
				return `A parameter was refused: the output token limit. Set MODEL_PROVIDER to the provider's profile (it decides max_tokens or max_completion_tokens), or check MODEL_MAX_TOKENS.${reasoningHint}${detail}`;
			}
			const refused = refusedMode(error.detail ?? '', profile);
			if (refused) {
				return `The provider refused the structured output mode ${refused}${refused === profile.structuredOutput ? ` of profile ${provider}` : ''}. Try MODEL_PROVIDER=${otherModes(refused)}.${detail}`;
			}
			return `The provider refused the request (HTTP ${error.status}): a parameter it does not accept.${detail}`;
		}
		case 'rate_limited':
			return `The provider is rate limiting this key (HTTP 429): the account's quota or rate limit is reached.${detail}`;
		case 'server_error': {
			const refused = refusedMode(error.detail ?? '', profile);
			const hint = refused ? ` The model may not support the structured output mode ${refused}; try MODEL_PROVIDER=${otherModes(refused)}.` : '';
			return `The provider failed (HTTP ${error.status}).${hint}${detail}`;
		}
		case 'timeout':
		case 'deadline':
			return `No answer within ${settings.timeoutMs} ms (MODEL_TIMEOUT_MS) / ${settings.turnDeadlineMs} ms per turn (MODEL_TURN_DEADLINE_MS): the model is too slow or the server hangs.`;
		case 'unreachable':
			return `Cannot reach ${settings.baseURL}: check OPENAI_BASE_URL and that the server is running.`;
		case 'output_limit':
			return `The answer was cut: ${error.reason}. Reasoning models count their reasoning in this limit.`;
		case 'refused':
			return `The model refused to answer the check.${detail}`;
		case 'invalid_shape':
			return `The model answered with JSON of another shape (${error.reason}): its structured output is not enforced. Turns will often fall back to the rules; try another MODEL_PROVIDER profile or a stronger model.`;
		case 'malformed':
			if (error.status) return `The model's output failed on the provider's side (${error.reason}), twice.${detail}`;
			return `The model answered, but not with the JSON asked for (${error.reason}): no usable structured output. Try another MODEL_PROVIDER profile or a stronger model.${detail}`;
		default:
			return `${error.reason}${detail}`;
	}
}

/** Calls the configured model once, as a turn would (same profile, parameters and deadline), and explains the result. */
export async function checkModel(settings: ModelSettings): Promise<DoctorReport> {
	const profile = providerProfile(settings.baseURL, settings.model, settings);
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
		`profile: ${profile.id}${settings.provider ? ' (MODEL_PROVIDER)' : ' (detected)'}: ${profile.structuredOutput}${profile.strict ? ' strict' : ''}, ${profile.maxTokensParam}=${settings.maxTokens}, temperature ${profile.temperature && settings.temperature !== undefined ? settings.temperature : 'not sent'}${profile.reasoning ? `, reasoning model${profile.reasoningEffort ? ` (effort ${profile.reasoningEffort})` : ''}` : ''}`,
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
			Probe,
		);
		const ms = events.at(-1)?.latencyMs ?? 0;
		lines.push(`OK: the model answered with valid structured output in ${ms} ms (${answer.tokensIn} tokens in, ${answer.tokensOut} out).`);
		return { ok: true, lines };
	} catch (error) {
		lines.push(error instanceof ModelCallError ? explainFailure(error, settings, profile.id, profile) : `The check failed: ${String(error)}`);
		return { ok: false, lines };
	}
}
