import type { StartDemoSandbox } from '@portrait/connector-sdk';
import csv from '@portrait/plugin-csv';
import { startDemoSandbox as csvDemo } from '@portrait/plugin-csv/demo';
import mailchimp from '@portrait/plugin-mailchimp';
import { startDemoSandbox as mailchimpDemo } from '@portrait/plugin-mailchimp/demo';
import shopify from '@portrait/plugin-shopify';
import { startDemoSandbox as shopifyDemo } from '@portrait/plugin-shopify/demo';

/** A built-in connector's demo sandbox, by the id of the connector it feeds. */
export interface BuiltInDemoSandbox {
  connectorId: string;
  start: StartDemoSandbox;
}

/**
 * The demo sandbox of each built-in connector that has one: what `pnpm start` points the `demo`
 * workspace's sources at. Only the process that fills the demo imports this entry.
 */
export const builtInDemoSandboxes: readonly BuiltInDemoSandbox[] = [
  { connectorId: csv.manifest.id, start: csvDemo },
  { connectorId: shopify.manifest.id, start: shopifyDemo },
  { connectorId: mailchimp.manifest.id, start: mailchimpDemo },
];
