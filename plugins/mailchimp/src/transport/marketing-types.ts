/**
 * The Marketing API's shapes (3.0) as the connector reads them — the sandbox serves the same.
 * Field names are Mailchimp's; every field may be absent from a record that is not what it should be.
 */

export interface MailchimpLink {
  rel: string;
  href: string;
  method: string;
  targetSchema?: string;
  schema?: string;
}

export interface MailchimpAddress {
  addr1?: string;
  addr2?: string;
  city?: string;
  state?: string;
  zip?: string;
  country?: string;
}

export type MemberStatus = 'subscribed' | 'unsubscribed' | 'cleaned' | 'pending' | 'transactional' | 'archived';

export interface MailchimpMember {
  /** The MD5 hash of the lower-cased e-mail address. */
  id: string;
  email_address: string;
  unique_email_id?: string;
  contact_id?: string;
  full_name?: string;
  web_id?: number;
  email_type?: string;
  status: MemberStatus;
  unsubscribe_reason?: string;
  /** Values by merge tag: FNAME, LNAME, PHONE, BIRTHDAY ("MM/DD"), ADDRESS (an object, or "" when empty). */
  merge_fields?: Record<string, unknown>;
  interests?: Record<string, boolean>;
  stats?: { avg_open_rate?: number; avg_click_rate?: number; ecommerce_data?: { total_revenue?: number; number_of_orders?: number; currency_code?: string } };
  ip_signup?: string;
  timestamp_signup?: string;
  ip_opt?: string;
  timestamp_opt?: string;
  member_rating?: number;
  last_changed: string;
  language?: string;
  vip?: boolean;
  email_client?: string;
  location?: { latitude?: number; longitude?: number; gmtoff?: number; dstoff?: number; country_code?: string; timezone?: string; region?: string };
  marketing_permissions?: { marketing_permission_id: string; text: string; enabled: boolean }[];
  source?: string;
  tags_count?: number;
  tags?: { id: number; name: string }[];
  list_id: string;
  _links?: MailchimpLink[];
}

export interface MailchimpMembersPage {
  members: MailchimpMember[];
  list_id: string;
  total_items: number;
  _links?: MailchimpLink[];
}

export interface MailchimpList {
  id: string;
  web_id?: number;
  name: string;
  date_created?: string;
  stats?: Record<string, unknown>;
  _links?: MailchimpLink[];
}

/** One item of a member's activity feed; the fields beside the type and time depend on the type. */
export interface MailchimpActivity {
  activity_type: string;
  created_at_timestamp: string;
  campaign_id?: string;
  campaign_title?: string;
  link_clicked?: string;
  bounce_type?: string;
  unsubscribe_reason?: string;
}

export interface MailchimpActivityFeed {
  activity: MailchimpActivity[];
  email_id: string;
  list_id: string;
  total_items: number;
  _links?: MailchimpLink[];
}
