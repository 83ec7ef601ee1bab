// The model settings: their defaults and what the engine makes of the checked values (the checks are in settings.ts).
import type { ProviderId, ReasoningEffort } from './providers';

export const MODEL_DEFAULTS = {
	baseURL: 'https://api.openai.com/v1',
	model: 'gpt-4o-mini',
	timeoutMs: 15_000,
	maxRetries: 2,
	// A few seconds under the 30 s most proxies and browsers give a request, so a turn always answers.
	turnDeadlineMs: 25_000,
	maxTokens: 1_000,
} as const;

/** The model settings as the server's settings hold them, already checked (settings.ts). */
export interface ModelSettingsInput {
	OPENAI_BASE_URL?: string;
	OPENAI_API_KEY?: string;
	OPENAI_MODEL?: string;
	MODEL_PROVIDER?: ProviderId;
	/** For a deployment whose name does not tell (Azure's "prod-chat"): true = reasoning model rules, false = never. */
	MODEL_REASONING?: 'true' | 'false';
	MODEL_REASONING_EFFORT?: ReasoningEffort;
	MODEL_TIMEOUT_MS?: number;
	MODEL_MAX_RETRIES?: number;
	MODEL_TURN_DEADLINE_MS?: number;
	MODEL_TEMPERATURE?: number;
	MODEL_MAX_TOKENS?: number;
}

export interface ModelSettings {
	baseURL: string;
	apiKey: string;
	model: string;
	provider?: ProviderId;
	/** Unset: a model is a reasoning model when its family's name says so. */
	reasoning?: boolean;
	reasoningEffort?: ReasoningEffort;
	timeoutMs: number;
	maxRetries: number;
	turnDeadlineMs: number;
	temperature?: number; // unset: the provider's default
	maxTokens: number;
}

/** The model settings, or null when no model is configured (neither OPENAI_BASE_URL nor OPENAI_API_KEY): the offline engine answers. */
export function modelSettingsFrom(s: ModelSettingsInput): ModelSettings | null {
	if (!s.OPENAI_BASE_URL && !s.OPENAI_API_KEY) return null;
	const turnDeadlineMs = s.MODEL_TURN_DEADLINE_MS ?? MODEL_DEFAULTS.turnDeadlineMs;
	return {
		baseURL: s.OPENAI_BASE_URL ?? MODEL_DEFAULTS.baseURL,
		apiKey: s.OPENAI_API_KEY ?? 'none',
		model: s.OPENAI_MODEL ?? MODEL_DEFAULTS.model,
		...(s.MODEL_PROVIDER ? { provider: s.MODEL_PROVIDER } : {}),
		...(s.MODEL_REASONING ? { reasoning: s.MODEL_REASONING === 'true' } : {}),
		...(s.MODEL_REASONING_EFFORT ? { reasoningEffort: s.MODEL_REASONING_EFFORT } : {}),
		timeoutMs: Math.min(s.MODEL_TIMEOUT_MS ?? MODEL_DEFAULTS.timeoutMs, turnDeadlineMs),
		maxRetries: s.MODEL_MAX_RETRIES ?? MODEL_DEFAULTS.maxRetries,
		turnDeadlineMs,
		...(s.MODEL_TEMPERATURE !== undefined ? { temperature: s.MODEL_TEMPERATURE } : {}),
		maxTokens: s.MODEL_MAX_TOKENS ?? MODEL_DEFAULTS.maxTokens,
	};
}
