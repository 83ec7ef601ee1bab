// Agent configuration as code: the schema of one YAML or JSON agent, validated with messages that name the source and the bad path. Pure: reading files is agents/agent-files.ts.
import { z } from 'zod';
import { knownMergeField, mergeFieldsIn } from './templates';
import { parse as parseYaml } from 'yaml';
import {
	AGENT_CHANNELS_MAX,
	AGENT_DESCRIPTION_MAX_CHARS,
	AGENT_NAME_MAX_CHARS,
	CHANNEL_NAME_MAX_CHARS,
	FIELDS_PER_AGENT,
	ID_MAX_LENGTH,
	KEYWORD_MAX_CHARS,
	KEYWORDS_PER_LIST,
	PATTERN_MAX_CHARS,
} from '../limits';
import { DEFAULT_CHANNELS } from './channels';
import { compilePatternUncached } from './agent-patterns';

const snakeName = z
	.string()
	.regex(/^[a-z][a-z0-9_]*$/, 'use lowercase letters, digits and underscores, starting with a letter (e.g. service_needed)');

const agentId = z
	.string()
	.max(ID_MAX_LENGTH)
	.regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lowercase letters, digits, "-" and "_" (e.g. lead-qualifier)');

// Where a collected field is written on the contact; `contact.name` splits a full name into first and last name.
const mapsTo = z
	.string()
	.regex(
		/^(contact\.(first_name|last_name|name|email|phone)|custom_field\.[a-z][a-z0-9_]*)$/,
		'must be contact.first_name, contact.last_name, contact.name, contact.email, contact.phone or custom_field.<name>',
	);

// A stored contact value a reply rule or an action's write-back can refer to.
const contactRef = z
	.string()
	.regex(
		/^(contact\.(first_name|last_name|email|phone)|custom_field\.[a-z][a-z0-9_]*)$/,
		'must be contact.first_name, contact.last_name, contact.email, contact.phone or custom_field.<name>',
	);

// Objects whose keys all have defaults may be left out of the file; preprocess keeps this the same across zod versions.
function defaulted<T extends z.ZodTypeAny>(schema: T) {
	return z.preprocess((v) => (v === undefined ? {} : v), schema);
}

export interface KeywordEntry {
	match: string[];
	value: string;
}

const keyword = z.string().min(1).max(KEYWORD_MAX_CHARS);
const keywords = z.array(keyword).min(1).max(KEYWORDS_PER_LIST);

// Either a map `{ "web site": website }` or a list `[{ match: [web site, webpage], value: website }]`.
const keywordList = z
	.union([
		z.record(keyword, z.string().min(1).max(KEYWORD_MAX_CHARS)),
		z.array(
			z.strictObject({
				match: z.union([keyword, z.array(keyword).min(1).max(KEYWORDS_PER_LIST)]),
				value: z.string().min(1).max(KEYWORD_MAX_CHARS),
			}),
		),
	])
	.transform((input): KeywordEntry[] =>
		Array.isArray(input)
			? input.map((e) => ({ match: Array.isArray(e.match) ? e.match : [e.match], value: e.value }))
			: Object.entries(input).map(([match, value]) => ({ match: [match], value })),
	)
	.refine((list) => list.length > 0, 'needs at least one keyword')
	.refine((list) => list.length <= KEYWORDS_PER_LIST, `at most ${KEYWORDS_PER_LIST} keywords`);

const regexSource = z.string().min(1).max(PATTERN_MAX_CHARS).superRefine((src, ctx) => {
	try {
		compilePatternUncached(src, '');
	} catch (e) {
		ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(e as Error).message}` });
	}
});

const extraction = z.discriminatedUnion('kind', [
	z.strictObject({ kind: z.literal('email') }),
	z.strictObject({ kind: z.literal('phone') }),
	z.strictObject({ kind: z.literal('name') }),
	z.strictObject({ kind: z.literal('amount'), currency: z.enum(['USD', 'EUR', 'GBP']).optional() }),
	z.strictObject({ kind: z.literal('timeline') }),
	z.strictObject({ kind: z.literal('keywords'), keywords: keywordList }),
	z.strictObject({
		kind: z.literal('pattern'),
		pattern: regexSource,
		flags: z.string().regex(/^[imsu]*$/, 'only i, m, s and u flags are allowed').optional(),
	}),
]);

const field = z.strictObject({
	name: snakeName,
	label: z.string().min(1).optional(),
	question: z.string().min(1),
	mapsTo,
	required: z.boolean().default(true),
	extract: extraction,
});

// Example phrases train the offline classifier (engine/classifier.ts); keywords are hints that also train it.
const examplePhrases = z.array(z.string().min(1).max(300)).max(KEYWORDS_PER_LIST);

const intent = z
	.strictObject({
		name: snakeName,
		description: z.string().optional(),
		keywords: z.array(keyword).max(KEYWORDS_PER_LIST).default([]),
		examples: examplePhrases.optional(),
	})
	.refine((i) => i.keywords.length > 0 || (i.examples?.length ?? 0) > 0, 'needs keywords or examples');

// How the offline engine reads messages: which language's parsers and replies, which country a national phone
// number belongs to, and how sure the classifier must be before it names an intent or a tag.
const understanding = z.strictObject({
	threshold: z.number().min(0).max(1).default(0.5),
});

const condition = z
	.strictObject({
		fieldsProvided: z.array(z.string().min(1)).min(1).optional(),
		intent: z.array(z.string().min(1)).min(1).optional(),
		tags: z.array(z.string().min(1)).min(1).optional(),
		// The contact explicitly asks for something (callback, pricing, brochure): any of these phrases in the message.
		asks: keywords.optional(),
		// The model engine reports how sure it is of the intent; below this floor the intent condition is not met.
		minConfidence: z.number().min(0).max(1).optional(),
	})
	.refine((c) => c.fieldsProvided || c.intent || c.tags || c.asks, 'needs at least one of fieldsProvided, intent, tags, asks')
	.refine((c) => c.minConfidence === undefined || c.intent !== undefined, 'minConfidence needs an intent condition');

// What the agent does when an awaited workflow result does not arrive in time.
const waitFallback = z.strictObject({
	reply: z.string().min(1).optional(),
	tag: z.string().min(1).optional(),
	handoff: z.boolean().default(false),
});

const action = z.strictObject({
	id: snakeName,
	type: z.literal('trigger_workflow').default('trigger_workflow'),
	name: z.string().min(1),
	description: z.string().default(''),
	condition,
	once: z.boolean().default(true),
	// Enforced by the server, which knows the clock.
	cooldownSeconds: z.number().int().positive().optional(),
	// Contact fields the workflow is expected to write back; the server may wait for them before answering.
	expects: z
		.strictObject({
			fields: z.array(contactRef).min(1),
			timeoutMs: z.number().int().positive().max(120_000).default(15_000),
			// Said when the timeout passes; the late result is then sent as a follow-up message when it arrives.
			holdingReply: z.string().min(1).default("Thanks for your patience — I'm still looking into that and will get back to you here shortly."),
			onTimeout: waitFallback.optional(),
		})
		.optional(),
});

const replyWhen = z
	.strictObject({
		field: contactRef.optional(),
		tag: z.string().min(1).optional(),
		gte: z.number().optional(),
		gt: z.number().optional(),
		lte: z.number().optional(),
		lt: z.number().optional(),
		equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
		exists: z.boolean().optional(),
	})
	.refine((w) => w.field !== undefined || w.tag !== undefined, 'needs a field or a tag');

const replyRule = z.strictObject({
	when: replyWhen.optional(),
	text: z.string().min(1),
	// Say it only once per conversation (skipped when the transcript already holds the same agent message).
	once: z.boolean().default(false),
});

const replies = z.strictObject({
	greeting: z.string().min(1).default("Hi! I'm {{agent.name}}."),
	allCollected: z.string().min(1).default('Thanks, I have everything I need. Is there anything else I can help with?'),
	// Said when the model or a workflow fails; without it the offline engine's reply is used.
	fallback: z.string().min(1).optional(),
	// Said before asking the same question again when the contact's message gave nothing the agent can use.
	noted: z.string().min(1).default('Thanks, noted.'),
	rules: z.array(replyRule).default([]),
	actions: z.record(z.string(), z.string().min(1)).default({}),
});

const tagRule = z
	.strictObject({
		tag: z.string().min(1),
		keywords: keywords.optional(),
		intents: z.array(z.string().min(1)).min(1).optional(),
		sentiment: z.enum(['positive', 'neutral', 'negative']).optional(),
		// The condition in words ("mentions a competitor"): the model engine judges it by meaning; keywords still apply.
		description: z.string().min(1).max(300).optional(),
		// Phrases that carry the tag: the offline classifier learns from them (and from the keywords).
		examples: examplePhrases.optional(),
	})
	.refine((r) => r.keywords || r.intents || r.sentiment || r.description || r.examples, 'needs at least one of keywords, intents, sentiment, description, examples');

// First matching rule classes the ended conversation; without rules a built-in classification is used.
const outcomeRule = z
	.strictObject({
		outcome: snakeName,
		intents: z.array(z.string().min(1)).min(1).optional(),
		actionsFired: z.array(z.string().min(1)).min(1).optional(),
		tags: z.array(z.string().min(1)).min(1).optional(),
		sentiment: z.enum(['positive', 'neutral', 'negative']).optional(),
		fieldsProvided: z.array(z.string().min(1)).min(1).optional(),
	})
	.refine((r) => r.intents || r.actionsFired || r.tags || r.sentiment || r.fieldsProvided, 'needs at least one condition');

const ending = z.strictObject({
	inactivityMinutes: z.number().positive().optional(),
	maxTurns: z.number().int().positive().optional(),
	closingIntents: z.array(z.string().min(1)).optional(),
	// Said on the last turn when the conversation ends by maximum turns.
	maxTurnsMessage: z.string().min(1).optional(),
	outcomeRules: z.array(outcomeRule).default([]),
});

const handoff = z.strictObject({
	intents: z.array(z.string().min(1)).optional(),
	keywords: z.array(keyword).max(KEYWORDS_PER_LIST).optional(),
	message: z.string().min(1),
	// The bot resumes on its own when no human wrote for this long (absent: only an explicit release resumes it).
	quietMinutes: z.number().positive().optional(),
});

const disclosure = z.strictObject({
	// When the contact counts as verified (a stored field or a tag, as in reply rules).
	verifiedWhen: replyWhen.optional(),
	fields: z
		.array(
			z.strictObject({
				field: contactRef,
				level: z.enum(['always', 'verified', 'never']),
				// How a contact asks for it ("card on file"): asking while it is withheld gets the blocked message and a human.
				asks: z.array(z.string().min(1)).min(1).optional(),
			}),
		)
		.min(1),
	// Said instead of a reply that would reveal a field it may not; the conversation then goes to a human.
	blockedMessage: z
		.string()
		.min(1)
		.default("I can't share that here — I'm bringing in a member of our team who can help you with it."),
});

const limits = z.strictObject({
	workflowTriggersPerConversation: z.number().int().positive().optional(),
	modelCallsPerConversation: z.number().int().positive().optional(),
});

const baseAgent = z.strictObject({
	id: agentId,
	name: z.string().min(1).max(AGENT_NAME_MAX_CHARS),
	description: z.string().max(AGENT_DESCRIPTION_MAX_CHARS).default(''),
	persona: z.string().default(''),
	instructions: z.string().default(''),
	model: z.string().min(1).optional(),
	// The language of the agent's contacts: selects the offline parsers and the bundled replies.
	language: z.enum(['en', 'es', 'de']).default('en'),
	// The country a phone number written without its international prefix belongs to (ISO 3166 code, e.g. US, DE).
	region: z.string().regex(/^[A-Z]{2}$/, 'a two-letter country code such as US or DE').optional(),
	understanding: understanding.default({ threshold: 0.5 }),
	channels: z.array(z.string().min(1).max(CHANNEL_NAME_MAX_CHARS)).max(AGENT_CHANNELS_MAX).default([...DEFAULT_CHANNELS]),
	fields: z.array(field).max(FIELDS_PER_AGENT).default([]),
	intents: z.array(intent).default([]),
	actions: z.array(action).default([]),
	replies: defaulted(replies),
	variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
	tagRules: z.array(tagRule).default([]),
	outcomes: z.array(snakeName).default(['booked', 'interested', 'browsing', 'negative']),
	ending: ending.optional(),
	handoff: handoff.optional(),
	disclosure: disclosure.optional(),
	limits: limits.optional(),
});

// Cross references: everything an action, rule or tag names must be declared in the same file.
export const AgentConfig = baseAgent.superRefine((agent, ctx) => {
	const issue = (p: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path: p, message });
	const dupes = (names: string[], key: string, what: string) => {
		const seen = new Set<string>();
		names.forEach((n, i) => {
			if (seen.has(n)) issue([key, i, what === 'action' ? 'id' : 'name'], `duplicate ${what} "${n}"`);
			seen.add(n);
		});
	};
	const fieldNames = new Set(agent.fields.map((f) => f.name));
	const intentNames = new Set(agent.intents.map((i) => i.name));
	const actionIds = new Set(agent.actions.map((a) => a.id));
	dupes(agent.fields.map((f) => f.name), 'fields', 'field');
	dupes(agent.intents.map((i) => i.name), 'intents', 'intent');
	dupes(agent.actions.map((a) => a.id), 'actions', 'action');
	const mapped = new Map<string, string>();
	agent.fields.forEach((f, i) => {
		const other = mapped.get(f.mapsTo);
		if (other) issue(['fields', i, 'mapsTo'], `${f.mapsTo} is already mapped from field "${other}"`);
		mapped.set(f.mapsTo, f.name);
	});
	agent.actions.forEach((a, i) => {
		a.condition.fieldsProvided?.forEach((n, j) => {
			if (!fieldNames.has(n)) issue(['actions', i, 'condition', 'fieldsProvided', j], `unknown field "${n}"`);
		});
		a.condition.intent?.forEach((n, j) => {
			if (!intentNames.has(n)) issue(['actions', i, 'condition', 'intent', j], `unknown intent "${n}"`);
		});
	});
	for (const id of Object.keys(agent.replies.actions)) {
		if (!actionIds.has(id)) issue(['replies', 'actions', id], `unknown action "${id}"`);
	}
	agent.tagRules.forEach((r, i) =>
		r.intents?.forEach((n, j) => {
			if (!intentNames.has(n)) issue(['tagRules', i, 'intents', j], `unknown intent "${n}"`);
		}),
	);
	agent.handoff?.intents?.forEach((n, j) => {
		if (!intentNames.has(n)) issue(['handoff', 'intents', j], `unknown intent "${n}"`);
	});
	agent.ending?.closingIntents?.forEach((n, j) => {
		if (!intentNames.has(n)) issue(['ending', 'closingIntents', j], `unknown intent "${n}"`);
	});
	const outcomes = new Set(agent.outcomes);
	agent.ending?.outcomeRules.forEach((r, i) => {
		if (!outcomes.has(r.outcome)) issue(['ending', 'outcomeRules', i, 'outcome'], `unknown outcome "${r.outcome}" (add it to outcomes)`);
		r.intents?.forEach((n, j) => {
			if (!intentNames.has(n)) issue(['ending', 'outcomeRules', i, 'intents', j], `unknown intent "${n}"`);
		});
		r.actionsFired?.forEach((n, j) => {
			if (!actionIds.has(n)) issue(['ending', 'outcomeRules', i, 'actionsFired', j], `unknown action "${n}"`);
		});
	});
	// A misspelled merge field would print nothing (or, read as another field, the wrong thing): refuse it here.
	forEachText(agent, [], (text, at) => {
		for (const key of mergeFieldsIn(text)) {
			if (!knownMergeField(key)) {
				issue(at, `unknown merge field {{${key}}}: use contact.first_name, contact.last_name, contact.name, contact.email, contact.phone, contact.custom_field.<name>, agent.name, variables.<name> or collected.<field>`);
			}
		}
	});
});

/** Calls `visit` with every string in the config and its path. */
function forEachText(value: unknown, at: (string | number)[], visit: (text: string, at: (string | number)[]) => void): void {
	if (typeof value === 'string') visit(value, at);
	else if (Array.isArray(value)) value.forEach((v, i) => forEachText(v, [...at, i], visit));
	else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) forEachText(v, [...at, k], visit);
}

export type AgentConfig = z.output<typeof AgentConfig>;
export type AgentField = AgentConfig['fields'][number];
export type AgentIntent = AgentConfig['intents'][number];
export type AgentAction = AgentConfig['actions'][number];
export type ReplyRule = AgentConfig['replies']['rules'][number];
export type FieldExtraction = AgentField['extract'];
export type DisclosureLevel = NonNullable<AgentConfig['disclosure']>['fields'][number]['level'];

function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string[] {
	return issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`);
}

export type ValidationResult = { ok: true; agent: AgentConfig } | { ok: false; errors: string[] };

/** Validates an already parsed config (e.g. a request body); errors read `path: message`. */
export function validateAgentConfig(input: unknown): ValidationResult {
	const result = AgentConfig.safeParse(input);
	if (result.success) return { ok: true, agent: result.data };
	return { ok: false, errors: formatIssues(result.error.issues) };
}

/** Parses and validates one YAML or JSON text; throws an Error whose message names the source and each bad path. */
export function parseAgentConfig(text: string, source: string): AgentConfig {
	let data: unknown;
	try {
		data = source.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
	} catch (e) {
		throw new Error(`${source}: cannot parse: ${(e as Error).message.split('\n')[0]}`);
	}
	const result = validateAgentConfig(data);
	if (!result.ok) throw new Error(result.errors.map((line) => `${source}: ${line}`).join('\n'));
	return result.agent;
}

export interface AgentRegistry {
	list(): AgentConfig[];
	get(id: string): AgentConfig | undefined;
}
