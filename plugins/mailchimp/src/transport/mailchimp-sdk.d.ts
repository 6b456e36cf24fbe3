/**
 * Types of the parts of `@mailchimp/mailchimp_marketing` (3.0.x, plain JavaScript) the connector
 * calls. The package's entry exports one shared client; its `ApiClient` class makes one per source,
 * so two sources with different accounts never share a configuration.
 */
declare module '@mailchimp/mailchimp_marketing/src/ApiClient.js' {
  interface MailchimpSdkConfig {
    apiKey?: string;
    accessToken?: string;
    server?: string;
  }
  type Options = Record<string, unknown>;
  class ApiClient {
    constructor();
    /** `https://server.api.mailchimp.com/3.0`; `server` is replaced by the configured data center. */
    basePath: string;
    /** Milliseconds before a call is abandoned (default 120,000). */
    timeout: number;
    setConfig(config: MailchimpSdkConfig): void;
    ping: { get(): Promise<{ health_status: string }> };
    lists: {
      getList(listId: string, opts?: Options): Promise<Record<string, unknown>>;
      getListMembersInfo(listId: string, opts?: Options): Promise<Record<string, unknown>>;
      getListMember(listId: string, subscriberHash: string, opts?: Options): Promise<Record<string, unknown>>;
      getListMemberActivityFeed(listId: string, subscriberHash: string, opts?: Options): Promise<Record<string, unknown>>;
    };
  }
  export default ApiClient;
}
