import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { contactFields, contactOperations } from './ContactDescription';
import {
	agentBridgeApiRequest,
	contactPath,
	getCausationEventId,
	itemError,
	parseTags,
	requiredString,
	toCustomFieldValue,
} from '../shared/GenericFunctions';

const STANDARD_FIELDS = ['firstName', 'lastName', 'email', 'phone'];

export class AgentBridgeContact implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Agent Bridge Contact',
		name: 'agentBridgeContact',
		icon: { light: 'file:../shared/agentBridge.svg', dark: 'file:../shared/agentBridge.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description:
			'Gets, finds, creates and updates contacts: standard and custom fields, and tags the agent reads back.',
		documentationUrl: 'https://github.com/agent-bridge/agent-bridge/blob/main/docs/nodes.md#contact',
		defaults: {
			name: 'Agent Bridge Contact',
		},
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'agentBridgeApi',
				required: true,
			},
		],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Contact',
						value: 'contact',
					},
				],
				default: 'contact',
			},
			...contactOperations,
			...contactFields,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const returnData: INodeExecutionData[] = [];
		const operation = this.getNodeParameter('operation', 0) as string;

		for (let i = 0; i < items.length; i++) {
			try {
				const causationEventId = getCausationEventId(items[i].json);
				const request = (
					method: IHttpRequestMethods,
					path: string,
					body?: IDataObject,
					qs?: IDataObject,
				) => agentBridgeApiRequest.call(this, method, path, body, qs, causationEventId, i);

				let contacts: IDataObject[];
				if (operation === 'find') {
					const findBy = this.getNodeParameter('findBy', i, 'email') as string;
					if (findBy === 'identity') {
						contacts = await findContacts(request, {
							channel: requiredString.call(this, 'identityChannel', i, 'Channel'),
							address: requiredString.call(this, 'identityAddress', i, 'Address'),
						});
					} else {
						const value = requiredString.call(this, findBy, i, findBy === 'phone' ? 'Phone' : 'Email');
						contacts = await findContacts(request, { [findBy]: value });
					}
				} else if (operation === 'upsert') {
					contacts = [await upsertContact.call(this, i, request)];
				} else {
					const contactId = requiredString.call(this, 'contactId', i, 'Contact ID');
					contacts = [await changeContact.call(this, operation, i, contactPath(contactId), request)];
				}

				// `contactId` lets the next Agent Bridge node find the contact with its default expression.
				for (const contact of contacts) {
					const json: IDataObject = { ...contact, contactId: contact.id };
					if (causationEventId) json.causationEventId = causationEventId;
					returnData.push({ json, pairedItem: { item: i } });
				}
			} catch (error) {
				if (this.continueOnFail()) {
					returnData.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });
					continue;
				}
				throw itemError.call(this, error, i);
			}
		}

		return [returnData];
	}
}

type Request = (
	method: IHttpRequestMethods,
	path: string,
	body?: IDataObject,
	qs?: IDataObject,
) => Promise<IDataObject>;

async function findContacts(request: Request, query: IDataObject): Promise<IDataObject[]> {
	const response = await request('GET', '/v1/contacts', undefined, query);
	return (Array.isArray(response.data) ? response.data : []) as IDataObject[];
}

/** get, update, addTags, removeTag: one contact by id. */
async function changeContact(
	this: IExecuteFunctions,
	operation: string,
	i: number,
	path: string,
	request: Request,
): Promise<IDataObject> {
	if (operation === 'get') return await request('GET', path);
	if (operation === 'update') {
		const customFields = customFieldsParameter.call(this, i);
		const body = buildUpdateBody(this.getNodeParameter('updateFields', i, {}) as IDataObject, customFields);
		if (Object.keys(body).length === 0) {
			throw new NodeOperationError(
				this.getNode(),
				'Add at least one field to update: set "Update Fields" (updateFields) or "Custom Fields" (customFields)',
				{ itemIndex: i, description: CUSTOM_FIELDS_SHAPE },
			);
		}
		return await request('PATCH', path, body);
	}
	if (operation === 'addTags') {
		const tags = parseTags(this.getNodeParameter('tags', i, ''));
		if (tags.length === 0) {
			throw new NodeOperationError(this.getNode(), 'Add at least one tag', { itemIndex: i });
		}
		return await request('POST', `${path}/tags`, { tags });
	}
	if (operation === 'removeTag') {
		const tag = requiredString.call(this, 'tag', i, 'Tag');
		return await request('DELETE', `${path}/tags/${encodeURIComponent(tag)}`);
	}
	throw new NodeOperationError(this.getNode(), `The operation "${operation}" is not supported`, {
		itemIndex: i,
	});
}

/** Find by email, then by phone; update the first match, or create the contact. */
async function upsertContact(this: IExecuteFunctions, i: number, request: Request): Promise<IDataObject> {
	const email = String(this.getNodeParameter('email', i, '') ?? '').trim();
	const phone = String(this.getNodeParameter('phone', i, '') ?? '').trim();
	if (email === '' && phone === '') {
		throw new NodeOperationError(this.getNode(), 'Give an email, a phone or both to find the contact by', {
			itemIndex: i,
		});
	}
	const additional = this.getNodeParameter('additionalFields', i, {}) as IDataObject;
	const tags = parseTags(additional.tags);
	const names: IDataObject = {};
	for (const key of ['firstName', 'lastName']) {
		const value = String(additional[key] ?? '').trim();
		if (value !== '') names[key] = value;
	}
	const fields = buildUpdateBody(names, customFieldsParameter.call(this, i));

	let existing: IDataObject | undefined;
	if (email !== '') existing = (await findContacts(request, { email }))[0];
	if (!existing && phone !== '') existing = (await findContacts(request, { phone }))[0];

	if (!existing) {
		const body: IDataObject = { ...fields };
		if (email !== '') body.email = email;
		if (phone !== '') body.phone = phone;
		if (tags.length > 0) body.tags = tags;
		return { ...(await request('POST', '/v1/contacts', body)), created: true };
	}

	const path = contactPath(String(existing.id));
	// Fill in the match key the contact lacks (found by phone, now also has the email), never overwrite it.
	if (email !== '' && !existing.email) fields.email = email;
	if (phone !== '' && !existing.phone) fields.phone = phone;
	let contact = existing;
	if (Object.keys(fields).length > 0) contact = await request('PATCH', path, fields);
	if (tags.length > 0) contact = await request('POST', `${path}/tags`, { tags });
	return { ...contact, created: false };
}

const CUSTOM_FIELDS_SHAPE =
	'In workflow JSON, "customFields" is {"field": [{"name": "lead_score", "value": "8"}]}; "updateFields" is {"firstName": "...", "lastName": "...", "email": "...", "phone": "..."}.';

/** The Custom Fields parameter; any other shape than `{field: [{name, value}]}` is refused rather than dropped. */
function customFieldsParameter(this: IExecuteFunctions, i: number): IDataObject {
	const customFields = (this.getNodeParameter('customFields', i, {}) ?? {}) as IDataObject;
	const problem = misshapenCustomFields(customFields);
	if (problem) throw new NodeOperationError(this.getNode(), problem, { itemIndex: i, description: CUSTOM_FIELDS_SHAPE });
	return customFields;
}

/** Why a Custom Fields value cannot be read (e.g. `{"lead_score": 8}` written by hand in workflow JSON), if it cannot. */
export function misshapenCustomFields(customFields: IDataObject): string | undefined {
	const keys = Object.keys(customFields);
	if (keys.length === 0) return undefined;
	const entries = customFields.field;
	const wellShaped =
		keys.every((k) => k === 'field') &&
		Array.isArray(entries) &&
		entries.every((e) => typeof e === 'object' && e !== null && 'name' in e);
	if (wellShaped) return undefined;
	return `The "Custom Fields" parameter (customFields) must be {"field": [{"name": ..., "value": ...}]}, got keys ${keys.map((k) => `"${k}"`).join(', ')}`;
}

/** PATCH body: only the standard fields the user set, and custom fields merged as `{name: value}`. */
export function buildUpdateBody(updateFields: IDataObject, customFields: IDataObject): IDataObject {
	const body: IDataObject = {};
	for (const key of STANDARD_FIELDS) {
		if (updateFields[key] !== undefined) body[key] = updateFields[key];
	}

	const entries = Array.isArray(customFields.field) ? (customFields.field as IDataObject[]) : [];
	const custom: IDataObject = {};
	for (const entry of entries) {
		const name = String(entry.name ?? '').trim();
		if (name === '') continue;
		custom[name] = toCustomFieldValue(entry.value);
	}
	if (Object.keys(custom).length > 0) body.customFields = custom;
	return body;
}
