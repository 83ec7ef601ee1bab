// How a widget key's widget looks: the settings (validated: readable colours, an avatar the server serves itself),
// their defaults, the console's view and the widget's view.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AppContext } from '../../context';
import { WIDGET_AVATAR_MAX_BYTES, WIDGET_OPENING_MESSAGE_MAX_CHARS, WIDGET_TITLE_MAX_CHARS } from '../../limits';
import { changeWidgetAppearance, getWidgetAppearance, type StoredAppearance } from '../../store/widget-appearance';
import { HttpError, notFound } from '../../util/http-error';

export const POSITIONS = ['bottom-right', 'bottom-left'] as const;

export interface Appearance {
	title: string | null;
	accentColor: string;
	accentTextColor: string;
	openingMessage: string | null;
	position: (typeof POSITIONS)[number];
	timestamps: boolean;
}

export const DEFAULT_APPEARANCE: Appearance = {
	title: null,
	accentColor: '#2f5bea',
	accentTextColor: '#ffffff',
	openingMessage: null,
	position: 'bottom-right',
	timestamps: false,
};

/** WCAG AA for normal text: the title, the launcher's icon and the visitor's own messages sit on the accent colour. */
export const MIN_CONTRAST = 4.5;

const hexColor = z
	.string()
	.regex(/^#([0-9a-f]{3}|[0-9a-f]{6})$/i, 'must be a colour as #rgb or #rrggbb')
	.transform((s) => (s.length === 4 ? `#${s[1]}${s[1]}${s[2]}${s[2]}${s[3]}${s[3]}` : s).toLowerCase());

const text = (max: number) =>
	z
		.string()
		.max(max)
		.transform((s) => s.trim())
		.refine((s) => s.length > 0, 'must not be blank');

// SVG is refused: it can carry script, and the avatar is served from the server's own origin.
const AVATAR_TYPES = { 'image/png': [0x89, 0x50, 0x4e, 0x47], 'image/jpeg': [0xff, 0xd8, 0xff], 'image/gif': [0x47, 0x49, 0x46, 0x38], 'image/webp': [0x52, 0x49, 0x46, 0x46] } as const;

export const appearancePatch = z.strictObject({
	title: text(WIDGET_TITLE_MAX_CHARS).nullable().optional(),
	accentColor: hexColor.nullable().optional(),
	accentTextColor: hexColor.nullable().optional(),
	openingMessage: text(WIDGET_OPENING_MESSAGE_MAX_CHARS).nullable().optional(),
	position: z.enum(POSITIONS).nullable().optional(),
	timestamps: z.boolean().nullable().optional(),
	/** A data: URL (PNG, JPEG, GIF or WebP, base64); null removes the avatar. */
	avatar: z
		.string()
		.max(Math.ceil((WIDGET_AVATAR_MAX_BYTES * 4) / 3) + 100, `the image must be at most ${WIDGET_AVATAR_MAX_BYTES} bytes`)
		.nullable()
		.optional(),
});
export type AppearancePatch = z.infer<typeof appearancePatch>;

/** Decodes and checks an avatar data: URL: a known image type whose bytes say the same, within the size limit. */
export function parseAvatar(dataUrl: string): { type: string; data: string; hash: string } {
	const match = /^data:(image\/[a-z]+);base64,([A-Za-z0-9+/]+={0,2})$/.exec(dataUrl);
	if (!match) throw new HttpError(400, 'body/avatar: must be a data: URL of a PNG, JPEG, GIF or WebP image, base64 (data:image/png;base64,...)');
	const type = match[1] as keyof typeof AVATAR_TYPES;
	const magic = AVATAR_TYPES[type];
	if (!magic) throw new HttpError(400, `body/avatar: ${type} is not accepted; use PNG, JPEG, GIF or WebP`);
	const bytes = Buffer.from(match[2], 'base64');
	if (bytes.length > WIDGET_AVATAR_MAX_BYTES) throw new HttpError(400, `body/avatar: the image is ${bytes.length} bytes; at most ${WIDGET_AVATAR_MAX_BYTES} bytes`);
	if (!magic.every((b, i) => bytes[i] === b)) throw new HttpError(400, `body/avatar: the bytes are not a ${type} image`);
	return { type, data: bytes.toString('base64'), hash: createHash('sha256').update(bytes).digest('hex') };
}

/** Relative luminance and contrast ratio as WCAG 2 defines them. */
export function contrastRatio(a: string, b: string): number {
	const luminance = (hex: string) => {
		const [r, g, bl] = [1, 3, 5].map((i) => {
			const c = parseInt(hex.slice(i, i + 2), 16) / 255;
			return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
		});
		return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
	};
	const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
	return (hi + 0.05) / (lo + 0.05);
}

/** The stored settings over the defaults. */
export function effectiveAppearance(stored: StoredAppearance): Appearance {
	const s = stored.settings as Partial<Appearance>;
	return {
		title: s.title ?? DEFAULT_APPEARANCE.title,
		accentColor: s.accentColor ?? DEFAULT_APPEARANCE.accentColor,
		accentTextColor: s.accentTextColor ?? DEFAULT_APPEARANCE.accentTextColor,
		openingMessage: s.openingMessage ?? DEFAULT_APPEARANCE.openingMessage,
		position: s.position ?? DEFAULT_APPEARANCE.position,
		timestamps: s.timestamps ?? DEFAULT_APPEARANCE.timestamps,
	};
}

/** The one policy on a whole appearance: its text must stay readable on its accent colour. */
function checkAppearance(next: StoredAppearance): void {
	const a = effectiveAppearance(next);
	const ratio = contrastRatio(a.accentColor, a.accentTextColor);
	if (ratio < MIN_CONTRAST) {
		throw new HttpError(
			400,
			`accentTextColor ${a.accentTextColor} on accentColor ${a.accentColor} has a contrast of ${ratio.toFixed(2)}:1; at least ${MIN_CONTRAST}:1 keeps the title and messages readable`,
		);
	}
}

/** The console's view: the settings in force and the avatar as a data: URL to preview. */
export type AppearanceView = Appearance & { avatar: string | null; updatedAt: string | null };

function view(stored: StoredAppearance): AppearanceView {
	return { ...effectiveAppearance(stored), avatar: stored.avatar ? `data:${stored.avatar.type};base64,${stored.avatar.data}` : null, updatedAt: stored.updatedAt };
}

export async function readAppearance(ctx: AppContext, workspaceId: string, widgetKeyId: string): Promise<AppearanceView> {
	const stored = await getWidgetAppearance(ctx.store.db, workspaceId, widgetKeyId);
	if (!stored) throw notFound('widget key', widgetKeyId);
	return view(stored);
}

/** Sets the given settings (null: back to the default), applied to the appearance as stored when the write runs. */
export async function updateAppearance(ctx: AppContext, workspaceId: string, widgetKeyId: string, patch: AppearancePatch): Promise<AppearanceView> {
	const { avatar, ...settings } = patch;
	const set = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
	const change = { set, ...(avatar === undefined ? {} : { avatar: avatar === null ? null : parseAvatar(avatar) }) };
	const stored = await ctx.store.db.transaction().execute((trx) => changeWidgetAppearance(trx, workspaceId, widgetKeyId, change, checkAppearance));
	if (!stored) throw notFound('widget key', widgetKeyId);
	return view(stored);
}

/** What the widget gets: the settings and, when there is an avatar, its path on this server (versioned by its hash). */
export function publicAppearance(stored: StoredAppearance, publicKey: string): Appearance & { avatarPath: string | null } {
	const avatarPath = stored.avatar ? `/widget/v1/avatar?key=${encodeURIComponent(publicKey)}&v=${stored.avatar.hash.slice(0, 16)}` : null;
	return { ...effectiveAppearance(stored), avatarPath };
}
