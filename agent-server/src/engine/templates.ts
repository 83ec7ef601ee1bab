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
		if (value !== undefined) return inert(value);
		if (fallback !== undefined && fallback !== '') return fallback;
		if (!unknown.includes(key)) unknown.push(key);
		removed = true;
		return GAP;
	});
	return { text: removed ? tidy(filled) : filled, unknown };
}

/**
 * A value as it enters a text: braces that would read as a merge field are spaced apart, so a contact whose name is
 * `{{contact.custom_field.balance}}` is printed as written if the text is ever rendered again, never resolved.
 */
function inert(value: string): string {
	return value.replace(/\{\{/g, '{ {').replace(/\}\}/g, '} }');
}

/**
 * The contact fields a template's merge fields read, as disclosure rules name them (`custom_field.x`,
 * `contact.email`), whatever the spelling (`custom_field` or `custom_fields`, `name` for first and last name).
 */
export function contactFieldsRead(template: string): string[] {
	const refs = new Set<string>();
	for (const match of template.matchAll(MERGE_FIELD)) {
		const [root, group, ...rest] = match[1].split('.');
		if (root !== 'contact' || group === undefined) continue;
		if (group === 'custom_field' || group === 'custom_fields') refs.add(`custom_field.${rest.join('.')}`);
		else if (group === 'name' || group === 'full_name') ['contact.first_name', 'contact.last_name'].forEach((r) => refs.add(r));
		else refs.add(`contact.${group}`);
	}
	return [...refs];
}

/** Whether a merge field names something `render` knows how to fill (a typo is caught when the agent is validated). */
export function knownMergeField(key: string): boolean {
	const [root, group, ...rest] = key.split('.');
	if (root === 'contact') {
		if (group === 'custom_field' || group === 'custom_fields') return rest.length > 0 && rest.join('.') !== '';
		return ['first_name', 'last_name', 'email', 'phone', 'id', 'name', 'full_name'].includes(group ?? '') && rest.length === 0;
	}
	if (root === 'agent') return (group === 'name' || group === 'id') && rest.length === 0;
	if (root === 'variables' || root === 'variable' || root === 'collected') return group !== undefined && group !== '';
	return false;
}

/** The merge fields of a template, as written. */
export function mergeFieldsIn(template: string): string[] {
	return [...template.matchAll(MERGE_FIELD)].map((m) => m[1]);
}

