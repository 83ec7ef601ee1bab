// The channels an agent talks on, and how a text to the contact looks on each: plain text where the channel shows no
// markdown (SMS), cut to what the channel takes. Pure: every message to the contact passes `formatForChannel`.

/** An agent without a `channels` list talks on these: the API, the web widget and the channels of docs/channels. */
export const DEFAULT_CHANNELS = ['web', 'api', 'telegram', 'whatsapp', 'sms', 'email', 'slack'] as const;

export interface ChannelRule {
	/** Longest text the channel takes, in characters (code points). */
	maxChars: number;
	/**
	 * `plain`: the channel shows markdown as typed, so it is turned into plain text. `keep`: markdown as written.
	 * `telegram`: Telegram's Markdown (the Telegram node's default parse mode), which refuses a message with an
	 * unclosed mark; `**bold**` becomes `*bold*` and every mark that does not close is escaped.
	 */
	markdown: 'plain' | 'keep' | 'telegram';
}

/**
 * What each channel takes. SMS: 1,600 characters is what SMS gateways (Twilio among them) accept as one message sent
 * in segments. Telegram and WhatsApp: 4,096. Slack: 4,000 recommended for a message's text. Other channels (web, api,
 * email, any a workflow names) take the text as it is.
 */
export const CHANNEL_RULES: Readonly<Record<string, ChannelRule>> = {
	sms: { maxChars: 1600, markdown: 'plain' },
	telegram: { maxChars: 4096, markdown: 'telegram' },
	whatsapp: { maxChars: 4096, markdown: 'keep' },
	slack: { maxChars: 4000, markdown: 'keep' },
};

export interface ChannelText {
	text: string;
	/** What changed, for the timeline: `markdown removed`, `cut from N characters`. Empty when the text is as given. */
	changes: string[];
}

const ELLIPSIS = '…';

/** The text as the contact gets it on `channel`. */
export function formatForChannel(text: string, channel: string): ChannelText {
	const rule = Object.hasOwn(CHANNEL_RULES, channel) ? CHANNEL_RULES[channel] : undefined;
	if (!rule) return { text, changes: [] };
	const changes: string[] = [];
	let out = text;
	const length = [...out].length;
	if (length > rule.maxChars) {
		out = cut(out, rule.maxChars);
		changes.push(`cut from ${length} to ${rule.maxChars} characters`);
	}
	// After the cut, so an escape added here is never split from its mark (Telegram counts the text it shows).
	const formatted = rule.markdown === 'plain' ? stripMarkdown(out) : rule.markdown === 'telegram' ? toTelegramMarkdown(out) : out;
	if (formatted !== out) changes.unshift(rule.markdown === 'plain' ? 'markdown removed' : "markdown in Telegram's form");
	return { text: formatted, changes };
}

/**
 * Cuts to `max` characters ending in "…": at the last space, or line break, in the last fifth of what fits, so a word
 * is not split; hard at `max - 1` when there is none.
 */
export function cut(text: string, max: number): string {
	const chars = [...text];
	if (chars.length <= max) return text;
	const room = max - 1;
	let end = room;
	for (let i = room; i > room * 0.8; i--) {
		if (/\s/.test(chars[i])) {
			end = i;
			break;
		}
	}
	return chars.slice(0, end).join('').trimEnd() + ELLIPSIS;
}

/** Markdown as a person would type it in plain text: no emphasis marks, links as "text (url)", no heading marks. */
export function stripMarkdown(text: string): string {
	return (
		text
			// Fenced code: keep the code, drop the fences.
			.replace(/^```[^\n]*\n([\s\S]*?)\n?```[ \t]*$/gm, '$1')
			// Images and links: the text, then the address.
			.replace(/!\[([^\]]*)\]\(([^)\s]+)\)/g, (_m, alt: string, url: string) => (alt ? `${alt} (${url})` : url))
			.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, label: string, url: string) => (label === url ? url : `${label} (${url})`))
			// Headings and quotes at the start of a line.
			.replace(/^[ \t]{0,3}#{1,6}[ \t]+/gm, '')
			.replace(/^[ \t]{0,3}>[ \t]?/gm, '')
			// Bullets "* " become "- ".
			.replace(/^([ \t]*)[*+][ \t]+/gm, '$1- ')
			// Emphasis: **x**, __x__, *x*, _x_, ~~x~~, `x` (underscores only at word edges, so snake_case stays).
			.replace(/\*\*(?=\S)([^*\n]*?\S)\*\*/g, '$1')
			.replace(/(^|[^\w])__(?=\S)([^_\n]*?\S)__(?=$|[^\w])/g, '$1$2')
			.replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?=$|[^\w*])/g, '$1$2')
			.replace(/(^|[^\w])_(?=\S)([^_\n]*?\S)_(?=$|[^\w])/g, '$1$2')
			.replace(/~~(?=\S)([^~\n]*?\S)~~/g, '$1')
			.replace(/`([^`\n]+)`/g, '$1')
	);
}

const TELEGRAM_MARKS = '_*`[';

/**
 * Markdown as Telegram's (legacy) Markdown parse mode takes it: `*bold*`, `_italic_`, `` `code` ``, ```` ```pre``` ````,
 * `[text](url)`. `**x**` and `__x__` become `*x*` and `_x_`; a mark that opens no entity (the `_` of snake_case, a lone
 * `*`, an unclosed `` ` `` or `[`) is escaped with `\`, so Telegram never refuses the text.
 */
export function toTelegramMarkdown(text: string): string {
	const source = text.replace(/\*\*(?=\S)([^*\n]*?\S)\*\*/g, '*$1*').replace(/(^|[^\w])__(?=\S)([^_\n]*?\S)__(?=$|[^\w])/g, '$1_$2_');
	let out = '';
	let i = 0;
	while (i < source.length) {
		const entity = telegramEntityAt(source, i);
		if (entity) {
			out += entity;
			i += entity.length;
			continue;
		}
		const c = source[i];
		if (c === '\\' && TELEGRAM_MARKS.includes(source[i + 1] ?? '')) {
			out += source.slice(i, i + 2);
			i += 2;
			continue;
		}
		out += TELEGRAM_MARKS.includes(c) ? `\\${c}` : c;
		i++;
	}
	return out;
}

/** The well-formed entity starting at `i`, as written, or undefined. */
function telegramEntityAt(text: string, i: number): string | undefined {
	const rest = text.slice(i);
	const patterns = [
		/^```[\s\S]*?```/,
		/^`[^`\n]+`/,
		/^\[[^\]\n]+\]\([^)\s]+\)/,
		// Emphasis opens at a word's start and closes at a word's end, on one line, without the mark inside.
		/^\*[^\s*](?:[^*\n]*?[^\s*])?\*(?![\w*])/,
		/^_[^\s_](?:[^_\n]*?[^\s_])?_(?!\w)/,
	];
	const before = i === 0 ? '' : text[i - 1];
	for (const pattern of patterns) {
		const match = pattern.exec(rest);
		if (!match) continue;
		if ((match[0][0] === '*' || match[0][0] === '_') && /\w/.test(before)) continue;
		return match[0];
	}
	return undefined;
}

/** The inspector's test panel (and conversation tests saved from it): an operator trying the agent, on any agent. */
export const TEST_CHANNEL = 'test';

/** Whether the agent talks on the channel: its `channels` list, and the test panel's channel. */
export function agentTalksOn(agent: { channels: readonly string[] }, channel: string): boolean {
	return channel === TEST_CHANNEL || agent.channels.includes(channel);
}
