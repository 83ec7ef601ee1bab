// Merge fields in agent and workflow messages: {{contact.first_name}}, {{contact.custom_field.x}}, {{agent.name}}, {{variables.x}}.
import type { ContactSnapshot, CustomFieldValue } from './types';

export interface TemplateContext {
	contact?: Partial<ContactSnapshot> | null;
	agent?: { name?: string; id?: string } | null;
	variables?: Record<string, unknown>;
	collected?: Record<string, string>;
}

export interface RenderResult {
	text: string;
	unknown: string[]; // merge fields that were unrecognised or had no value; they are removed, never printed raw
}

const MERGE_FIELD = /\{\{\s*([^{}|]*?)\s*(?:\|\s*([^{}]*?)\s*)?\}\}/g;
const GAP = '\u0000';

function present(v: unknown): v is string | number | boolean {
	return (typeof v === 'string' && v.trim() !== '') || typeof v === 'number' || typeof v === 'boolean';
}

/** Resolves one merge field path; undefined when the field is unknown or empty. */
export function resolveMergeField(key: string, ctx: TemplateContext): string | undefined {
	const [root, ...rest] = key.split('.');
	const sub = rest.join('.');
	let value: unknown;
	if (root === 'contact' && ctx.contact) {
		const c = ctx.contact;
		if (rest[0] === 'custom_field' || rest[0] === 'custom_fields') {
			const custom: Record<string, CustomFieldValue> = c.customFields ?? {};
			value = custom[rest.slice(1).join('.')];
		} else {
			const standard: Record<string, unknown> = {
				first_name: c.firstName,
				last_name: c.lastName,
				email: c.email,
				phone: c.phone,
				id: c.id,
				name: [c.firstName, c.lastName].filter(present).join(' '),
				full_name: [c.firstName, c.lastName].filter(present).join(' '),
			};
			value = standard[sub];
		}
	} else if (root === 'agent' && ctx.agent) {
		value = sub === 'name' ? ctx.agent.name : sub === 'id' ? ctx.agent.id : undefined;
	} else if ((root === 'variables' || root === 'variable') && ctx.variables) {
		value = ctx.variables[sub];
	} else if (root === 'collected' && ctx.collected) {
		value = ctx.collected[sub];
	}
	return present(value) ? String(value) : undefined;
}

// Removing a field must not leave "Thanks !" or "Hi , there": tidy only around the removed spots.
function tidy(text: string): string {
	return text
		.replace(/\u0000(?:[ \t]*\u0000)+/g, GAP)
		.replace(/(^|\n)[ \t]*\u0000[ \t]*[,;:]?[ \t]*(\w)?/g, (_m, start: string, next?: string) => start + (next ? next.toUpperCase() : ''))
		.replace(/[ \t]*[,;:][ \t]*\u0000[ \t]*(?=[.!?])/g, '')
		.replace(/[ \t]*\u0000[ \t]*(?=[.,!?;:)])/g, '')
		.replace(/[ \t]*\u0000[ \t]*\u0000?/g, ' ')
		.replace(/\(\s*\)/g, '')
		.replace(/ {2,}/g, ' ')
		.replace(/[ \t]+$/gm, '')
		.trim();
}

/**
 * Fills merge fields. `{{contact.first_name | there}}` gives a default; a field that is unknown or empty and has no
 * default is reported in `unknown` and removed cleanly.
 */
export function render(template: string, ctx: TemplateContext): RenderResult {
	const unknown: string[] = [];
	let removed = false;
	const filled = template.replace(MERGE_FIELD, (_m, key: string, fallback?: string) => {
		const value = resolveMergeField(key, ctx);
		if (value !== undefined) return value;
		if (fallback !== undefined && fallback !== '') return fallback;
		if (!unknown.includes(key)) unknown.push(key);
		removed = true;
		return GAP;
	});
	return { text: removed ? tidy(filled) : filled, unknown };
}
