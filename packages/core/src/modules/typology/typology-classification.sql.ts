import type { TypologySettings } from './typology-settings.js';

/** A profile whose typology changed (to one, from one to another, or to none). */
export interface TypologyChange {
  profileId: string;
  typology: string | null;
  previousTypology: string | null;
  /** Whether the profile is a live person (merged-away profiles and accounts lose their typology). */
  live: boolean;
}

export interface CompiledClassification {
  sql: string;
  params: unknown[];
}

/** An event property that is a JSON number, as numeric; null otherwise (text never fails a cast). */
const num = (json: string) => `CASE WHEN jsonb_typeof(${json}) = 'number' THEN (${json} #>> '{}')::numeric END`;
/** An event property that is a JSON array, or an empty one. */
const array = (json: string) => `CASE WHEN jsonb_typeof(${json}) = 'array' THEN ${json} ELSE '[]'::jsonb END`;
/** A number for a reason: at most `digits` decimals, no trailing zeros. */
const shown = (value: string, digits = 2) => `trim_scale(round((${value})::numeric, ${digits}))::text`;
const percent = (value: string) => `round((${value})::numeric * 100)::text || '%'`;

/**
 * One statement that classifies `profileIds` of the workspace and writes the result: it reads each
 * person's orders (`order_placed`) with the visits, campaign clicks and engagement events around them,
 * measures what the rules need (see `typology-settings.ts`), decides the typology by the precedence,
 * and writes the typology, the reason in words and figures, the figures as JSON and — when the
 * typology changes — the time it was set. Accounts and merged-away profiles get none. Only rows whose
 * typology, reason or figures change are written; answers how many profiles were classified and those
 * whose typology changed.
 */
export function compileTypologyClassification(workspaceId: string, settings: TypologySettings, profileIds: string[], now: Date): CompiledClassification {
  const params: unknown[] = [workspaceId, profileIds, now.toISOString()];
  const add = (value: unknown) => `$${params.push(value)}`;
  const int = (value: number) => `${add(value)}::int`;
  const dec = (value: number) => `${add(value)}::numeric`;
  const { dealBased, impulsive, loyal, needBased } = settings;
  const minOrders = int(settings.minOrders);
  const window = `(${dec(impulsive.windowMinutes)}::double precision * interval '1 minute')`;
  const burst = `(${dec(impulsive.burstHours)}::double precision * interval '1 hour')`;
  const impulseMinutes = `${add(String(impulsive.windowMinutes))}::text`;
  const burstHours = `${add(String(impulsive.burstHours))}::text`;
  const p = {
    dealShare: dec(dealBased.minDealShare),
    impulseShare: dec(impulsive.minImpulseShare),
    loyalOrders: int(loyal.minOrders),
    loyalSpan: dec(loyal.minSpanDays),
    loyalVariation: dec(loyal.maxIntervalVariation),
    engagementTypes: `${add(loyal.engagementEvents)}::text[]`,
    engagementDays: int(loyal.engagementWindowDays),
    engagementEvents: int(loyal.minEngagementEvents),
    engagedOrders: int(loyal.minEngagedOrders),
    needOrders: int(needBased.minOrders),
    needInterval: dec(needBased.minMeanIntervalDays),
    needVariation: dec(needBased.maxIntervalVariation),
    needDealShare: dec(needBased.maxDealShare),
    needTypeShare: dec(needBased.minSameProductTypeShare),
    precedence: `${add(settings.precedence)}::text[]`,
  };
  const lineItems = array(`e.properties -> 'line_items'`);
  const days = (interval: string) => `(extract(epoch FROM ${interval}) / 86400)`;
  return {
    sql: `WITH target AS (
         SELECT p.id, p.typology AS previous, p.kind = 'person' AND p.merged_into IS NULL AS live
         FROM profiles p WHERE p.workspace_id = $1::uuid AND p.id = ANY($2::uuid[])),
       orders AS (
         SELECT e.profile_id, e.occurred_at,
                coalesce(${num(`e.properties -> 'discount_total'`)} > 0, false)
                  OR jsonb_array_length(${array(`e.properties -> 'discount_codes'`)}) > 0
                  OR EXISTS (SELECT 1 FROM jsonb_array_elements(${lineItems}) li
                             WHERE ${num(`li -> 'compare_at_price'`)} > ${num(`li -> 'price'`)}) AS deal,
                ARRAY(SELECT DISTINCT li ->> 'product_type' FROM jsonb_array_elements(${lineItems}) li
                      WHERE jsonb_typeof(li -> 'product_type') = 'string' AND li ->> 'product_type' <> '') AS product_types,
                e.occurred_at - lag(e.occurred_at) OVER w AS since_previous,
                lead(e.occurred_at) OVER w - e.occurred_at AS until_next,
                min(e.occurred_at) OVER (PARTITION BY e.profile_id) AS first_order_at
         -- Events by the batch's profile ids (the per-profile index): a batch never reads the workspace's events.
         FROM events e JOIN target t ON t.id = e.profile_id AND t.live
         WHERE e.profile_id = ANY($2::uuid[]) AND e.workspace_id = $1::uuid AND e.type = 'order_placed'
         WINDOW w AS (PARTITION BY e.profile_id ORDER BY e.occurred_at, e.id)),
       first_visits AS (
         SELECT e.profile_id, min(e.occurred_at) AS at
         FROM events e JOIN target t ON t.id = e.profile_id AND t.live
         WHERE e.profile_id = ANY($2::uuid[]) AND e.workspace_id = $1::uuid AND e.type IN ('session_started', 'page_viewed')
         GROUP BY e.profile_id),
       flagged AS (
         SELECT o.*,
                -- The first visit counts only when no order came before it (tracking that starts late is no first visit).
                coalesce(v.at <= o.first_order_at AND o.occurred_at BETWEEN v.at AND v.at + ${window}, false) AS after_first_visit,
                EXISTS (SELECT 1 FROM events c
                        WHERE c.profile_id = o.profile_id AND c.workspace_id = $1::uuid AND c.type = 'email_clicked'
                          AND c.occurred_at BETWEEN o.occurred_at - ${window} AND o.occurred_at) AS after_click,
                coalesce(o.since_previous <= ${burst}, false) OR coalesce(o.until_next <= ${burst}, false) AS in_burst
         FROM orders o LEFT JOIN first_visits v ON v.profile_id = o.profile_id),
       -- Grouped over the batch's profiles (not over the orders alone), so that the planner sizes it right.
       stats AS (
         SELECT t.id AS profile_id, count(f.occurred_at)::int AS orders,
                count(*) FILTER (WHERE deal)::int AS deal_orders,
                count(*) FILTER (WHERE after_first_visit OR after_click OR in_burst)::int AS impulse_orders,
                count(*) FILTER (WHERE after_first_visit)::int AS first_visit_orders,
                count(*) FILTER (WHERE after_click)::int AS click_orders,
                count(*) FILTER (WHERE in_burst)::int AS burst_orders,
                ${days('max(occurred_at) - min(occurred_at)')} AS span_days,
                avg(${days('since_previous')}) AS mean_interval_days,
                -- Regularity needs two intervals at least; all orders at one instant have none.
                CASE WHEN count(since_previous) >= 2 AND avg(${days('since_previous')}) > 0
                     THEN stddev_pop(${days('since_previous')}) / avg(${days('since_previous')}) END AS interval_variation
         FROM target t LEFT JOIN flagged f ON f.profile_id = t.id GROUP BY t.id),
       product_types AS (
         SELECT DISTINCT ON (profile_id) profile_id, product_type, n
         FROM (SELECT o.profile_id, pt AS product_type, count(*)::int AS n FROM orders o CROSS JOIN unnest(o.product_types) pt GROUP BY 1, 2) x
         ORDER BY profile_id, n DESC, product_type),
       engagement AS (
         SELECT e.profile_id, count(*)::int AS n
         FROM events e JOIN target t ON t.id = e.profile_id AND t.live
         WHERE e.profile_id = ANY($2::uuid[]) AND e.workspace_id = $1::uuid AND e.type = ANY(${p.engagementTypes})
           AND e.occurred_at > $3::timestamptz - make_interval(days => ${p.engagementDays}) AND e.occurred_at <= $3::timestamptz
         GROUP BY e.profile_id),
       measured AS (
         SELECT t.id, t.previous, t.live, coalesce(s.orders, 0) AS orders, coalesce(s.deal_orders, 0) AS deal_orders,
                coalesce(s.impulse_orders, 0) AS impulse_orders, coalesce(s.first_visit_orders, 0) AS first_visit_orders,
                coalesce(s.click_orders, 0) AS click_orders, coalesce(s.burst_orders, 0) AS burst_orders,
                coalesce(s.span_days, 0) AS span_days, s.mean_interval_days, s.interval_variation,
                pt.product_type, coalesce(pt.n, 0) AS same_type_orders, coalesce(g.n, 0) AS engagement
         FROM target t LEFT JOIN stats s ON s.profile_id = t.id LEFT JOIN product_types pt ON pt.profile_id = t.id
                       LEFT JOIN engagement g ON g.profile_id = t.id),
       matched AS (
         SELECT m.*,
                m.orders >= ${minOrders} AND m.deal_orders >= ${p.dealShare} * m.orders AS is_deal,
                m.orders >= ${minOrders} AND m.impulse_orders >= ${p.impulseShare} * m.orders AS is_impulsive,
                m.orders >= ${minOrders} AND m.orders >= ${p.loyalOrders} AND m.span_days >= ${p.loyalSpan}
                  AND coalesce(m.interval_variation <= ${p.loyalVariation}, false) AS is_loyal_regular,
                m.orders >= ${minOrders} AND m.orders >= ${p.engagedOrders} AND m.engagement >= ${p.engagementEvents} AS is_loyal_engaged,
                m.orders >= ${minOrders} AND m.orders >= ${p.needOrders} AND coalesce(m.mean_interval_days >= ${p.needInterval}, false)
                  AND coalesce(m.interval_variation <= ${p.needVariation}, false)
                  AND m.deal_orders <= ${p.needDealShare} * m.orders AND m.same_type_orders >= ${p.needTypeShare} * m.orders AS is_need
         FROM measured m),
       -- Materialized: the typology is read by every branch of the reason, and decided once.
       decided AS MATERIALIZED (
         SELECT m.*,
                CASE WHEN NOT m.live THEN NULL
                     ELSE coalesce((SELECT r FROM unnest(${p.precedence}) WITH ORDINALITY AS x(r, i)
                                    WHERE (r = 'deal_based' AND m.is_deal) OR (r = 'impulsive' AND m.is_impulsive)
                                       OR (r = 'loyal' AND (m.is_loyal_regular OR m.is_loyal_engaged)) OR (r = 'need_based' AND m.is_need)
                                    ORDER BY i LIMIT 1), 'unknown') END AS typology
         FROM matched m),
       explained AS (
         SELECT d.id, d.previous, d.live, d.typology,
                CASE
                  WHEN d.typology IS NULL THEN NULL
                  WHEN d.orders < ${minOrders} THEN
                    d.orders || CASE WHEN d.orders = 1 THEN ' order' ELSE ' orders' END || ': at least ' || ${minOrders} || ' are needed to tell how the customer buys'
                  WHEN d.typology = 'deal_based' THEN
                    d.deal_orders || ' of ' || d.orders || ' orders used a discount code or were bought on sale (' || ${percent('d.deal_orders::numeric / d.orders')}
                    || '; deal-based from ' || ${percent(p.dealShare)} || ')'
                  WHEN d.typology = 'impulsive' THEN
                    d.impulse_orders || ' of ' || d.orders || ' orders were impulse purchases (' || ${percent('d.impulse_orders::numeric / d.orders')}
                    || '; impulsive from ' || ${percent(p.impulseShare)} || '): ' || d.first_visit_orders || ' within ' || ${impulseMinutes}
                    || ' minutes of the first visit, ' || d.click_orders || ' within ' || ${impulseMinutes} || ' minutes of a campaign click, '
                    || d.burst_orders || ' within ' || ${burstHours} || ' hours of another order'
                  WHEN d.typology = 'loyal' AND d.is_loyal_regular THEN
                    d.orders || ' orders over ' || round(d.span_days) || ' days at a regular interval (every ' || ${shown('d.mean_interval_days', 1)}
                    || ' days on average, variation ' || ${shown('d.interval_variation')} || '; loyal from ' || ${p.loyalOrders} || ' orders over '
                    || ${shown(p.loyalSpan)} || ' days, variation at most ' || ${shown(p.loyalVariation)} || ')'
                  WHEN d.typology = 'loyal' THEN
                    d.engagement || ' engagement events in the last ' || ${p.engagementDays} || ' days and ' || d.orders || ' orders (loyal from '
                    || ${p.engagementEvents} || ' events and ' || ${p.engagedOrders} || ' orders)'
                  WHEN d.typology = 'need_based' THEN
                    d.orders || ' orders every ' || ${shown('d.mean_interval_days', 1)} || ' days on average (variation '
                    || ${shown('d.interval_variation')} || '), ' || (d.orders - d.deal_orders) || ' of ' || d.orders || ' at full price, '
                    || d.same_type_orders || ' of ' || d.orders || ' including ' || d.product_type
                  ELSE
                    d.orders || ' orders, no rule matched: ' || d.deal_orders || ' of ' || d.orders || ' with a discount or on sale, '
                    || d.impulse_orders || ' impulse purchases, '
                    || CASE WHEN d.interval_variation IS NULL THEN 'no regular interval to measure'
                            ELSE 'every ' || ${shown('d.mean_interval_days', 1)} || ' days on average over ' || round(d.span_days) || ' days (variation '
                                 || ${shown('d.interval_variation')} || ')' END
                    || ', ' || d.engagement || ' engagement events in the last ' || ${p.engagementDays} || ' days'
                END AS reason,
                CASE WHEN d.typology IS NULL THEN NULL ELSE jsonb_build_object(
                  'orders', d.orders, 'dealOrders', d.deal_orders, 'impulseOrders', d.impulse_orders,
                  'firstVisitOrders', d.first_visit_orders, 'campaignClickOrders', d.click_orders, 'burstOrders', d.burst_orders,
                  'spanDays', round(d.span_days::numeric, 1), 'meanIntervalDays', round(d.mean_interval_days::numeric, 1),
                  'intervalVariation', round(d.interval_variation::numeric, 3), 'topProductType', d.product_type,
                  'sameProductTypeOrders', d.same_type_orders, 'engagementEvents', d.engagement) END AS figures
         FROM decided d),
       changed AS (
         UPDATE profiles p SET typology = x.typology, typology_reason = x.reason, typology_figures = x.figures,
                typology_set_at = CASE WHEN x.typology IS NULL THEN NULL WHEN x.typology IS DISTINCT FROM p.typology THEN $3::timestamptz ELSE p.typology_set_at END
         FROM explained x
         WHERE p.id = ANY($2::uuid[]) AND p.id = x.id AND (p.typology IS DISTINCT FROM x.typology OR p.typology_reason IS DISTINCT FROM x.reason OR p.typology_figures IS DISTINCT FROM x.figures)
         RETURNING p.id, x.previous, p.typology, x.live)
       SELECT (SELECT count(*) FROM target)::int AS evaluated,
              coalesce((SELECT json_agg(json_build_object('profileId', c.id, 'typology', c.typology, 'previousTypology', c.previous, 'live', c.live) ORDER BY c.id)
                        FROM changed c WHERE c.previous IS DISTINCT FROM c.typology), '[]') AS changes`,
    params,
  };
}
