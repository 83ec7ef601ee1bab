import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { contactFields, contactOperations } from './ContactDescription';
import {
	agentBridgeApiRequest,
	getCausationEventId,
	itemError,
	toCustomFieldValue,
} from './GenericFunctions';

const STANDARD_FIELDS = ['firstName', 'lastName', 'email', 'phone'];

export class Contact implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Agent Bridge Contact',
		name: 'agentBridgeContact',
		icon: 'file:agentBridge.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Gets a contact, updates its standard and custom fields, and adds or removes tags.',
		defaults: {
			name: 'Agent Bridge Contact',
		},
		usableAsTool: true,
		inputs: ['main'],
		outputs: ['main'],
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
				const contactId = String(this.getNodeParameter('contactId', i) ?? '').trim();
				if (contactId === '') {
					throw new NodeOperationError(this.getNode(), 'Contact ID is empty', { itemIndex: i });
				}
				const contactPath = `/v1/contacts/${encodeURIComponent(contactId)}`;

				let contact: IDataObject;
				if (operation === 'get') {
					contact = await agentBridgeApiRequest.call(
						this,
						'GET',
						contactPath,
						undefined,
						undefined,
						causationEventId,
					);
				} else if (operation === 'update') {
					const body = buildUpdateBody(
						this.getNodeParameter('updateFields', i, {}) as IDataObject,
						this.getNodeParameter('customFields', i, {}) as IDataObject,
					);
					if (Object.keys(body).length === 0) {
						throw new NodeOperationError(this.getNode(), 'Add at least one field to update', {
							itemIndex: i,
						});
					}
					contact = await agentBridgeApiRequest.call(
						this,
						'PATCH',
						contactPath,
						body,
						undefined,
						causationEventId,
					);
				} else if (operation === 'addTags') {
					const tags = String(this.getNodeParameter('tags', i) ?? '')
						.split(',')
						.map((tag) => tag.trim())
						.filter((tag) => tag !== '');
					if (tags.length === 0) {
						throw new NodeOperationError(this.getNode(), 'Add at least one tag', { itemIndex: i });
					}
					contact = await agentBridgeApiRequest.call(
						this,
						'POST',
						`${contactPath}/tags`,
						{ tags },
						undefined,
						causationEventId,
					);
				} else if (operation === 'removeTag') {
					const tag = String(this.getNodeParameter('tag', i) ?? '').trim();
					if (tag === '') {
						throw new NodeOperationError(this.getNode(), 'Tag is empty', { itemIndex: i });
					}
					contact = await agentBridgeApiRequest.call(
						this,
						'DELETE',
						`${contactPath}/tags/${encodeURIComponent(tag)}`,
						undefined,
						undefined,
						causationEventId,
					);
				} else {
					throw new NodeOperationError(
						this.getNode(),
						`The operation "${operation}" is not supported`,
						{ itemIndex: i },
					);
				}

				const json: IDataObject = { ...contact };
				if (causationEventId) json.causationEventId = causationEventId;
				returnData.push({ json, pairedItem: { item: i } });
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
