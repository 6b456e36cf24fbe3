import type { Connector } from '@portrait/connector-sdk';
import csv from '@portrait/plugin-csv';
import mailchimp from '@portrait/plugin-mailchimp';
import shopify from '@portrait/plugin-shopify';

/**
 * The connectors built into Portrait, listed once: the API, the admin, the worker and the CLI all
 * install these (more come from PORTRAIT_PLUGINS). Adding a plugin is one line here and its
 * dependency in this package. This entry loads only the connectors' own code: their demo sandboxes
 * (and the testkit they are built on) are behind `@portrait/connectors/demo`.
 */
export const builtInConnectors: readonly Connector[] = [csv, shopify, mailchimp];
