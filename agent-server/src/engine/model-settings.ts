// The model settings: read from an environment-like record (never from process.env itself), validated with zod.
import { z } from 'zod';
import { PROVIDERS, REASONING_EFFORTS, type ProviderId, type ReasoningEffort } from './providers';

export const MODEL_DEFAULTS = {
	baseURL: 'https://api.openai.com/v1',
	model: 'gpt-4o-mini',
	timeoutMs: 15_000,
	maxRetries: 2,
	// A few seconds under the 30 s most proxies and browsers give a request, so a turn always answers.
	turnDeadlineMs: 25_000,
	maxTokens: 1_000,
} as const;

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const int = (min: number, max: number) => z.preprocess(blankToUndefined, z.coerce.number().int().min(min).max(max).optional());

/** The environment variables the model engine reads; composable into a larger settings schema with `.extend`/`.and`. */
export const modelSettingsSchema = z
	.object({
		OPENAI_BASE_URL: z.preprocess(blankToUndefined, z.url({ protocol: /^https?$/ }).optional()),
		OPENAI_API_KEY: z.preprocess(blankToUndefined, z.string().optional()),
		OPENAI_MODEL: z.preprocess(blankToUndefined, z.string().min(1).optional()),
		MODEL_PROVIDER: z.preprocess(blankToUndefined, z.enum(PROVIDERS).optional()),
		// For a deployment whose name does not tell (Azure's "prod-chat"): true = reasoning model rules, false = never.
		MODEL_REASONING: z.preprocess(blankToUndefined, z.enum(['true', 'false']).optional()),
		MODEL_REASONING_EFFORT: z.preprocess(blankToUndefined, z.enum(REASONING_EFFORTS).optional()),
		MODEL_TIMEOUT_MS: int(100, 600_000),
		MODEL_MAX_RETRIES: int(0, 10),
		MODEL_TURN_DEADLINE_MS: int(100, 600_000),
		MODEL_TEMPERATURE: z.preprocess(blankToUndefined, z.coerce.number().min(0).max(2).optional()),
		MODEL_MAX_TOKENS: int(16, 200_000),
	})
	.refine((s) => !s.MODEL_TIMEOUT_MS || !s.MODEL_TURN_DEADLINE_MS || s.MODEL_TIMEOUT_MS <= s.MODEL_TURN_DEADLINE_MS, {
		message: 'MODEL_TIMEOUT_MS must not be longer than MODEL_TURN_DEADLINE_MS (one request cannot outlast the whole turn)',
		path: ['MODEL_TIMEOUT_MS'],
	});

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

/**
 * The model settings, or null when no model is configured (neither OPENAI_BASE_URL nor OPENAI_API_KEY): the offline
 * engine then answers. Throws one readable error listing every invalid variable.
 */
export function parseModelSettings(env: Record<string, string | undefined>): ModelSettings | null {
	const parsed = modelSettingsSchema.safeParse(env);
	if (!parsed.success) {
		const lines = parsed.error.issues.map((i) => `${i.path.join('.') || 'model settings'}: ${i.message}`);
		throw new Error(`invalid model settings: ${lines.join('; ')}`);
	}
	return modelSettingsFrom(parsed.data);
}

/** The settings from an already validated record (for a caller that composed the schema into its own). */
export function modelSettingsFrom(s: z.infer<typeof modelSettingsSchema>): ModelSettings | null {
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
