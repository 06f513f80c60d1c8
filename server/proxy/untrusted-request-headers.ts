/**
 * Request headers that no client may hand to an application behind Gatehouse, whoever the peer
 * is. The list is documented (docs/configuration.md, `server.strip_headers`) and the README's
 * nginx and Caddy snippets clear the same names, so it stays a plain list of exact names:
 * neither nginx nor Caddy 2.6 can delete headers by prefix.
 */

/**
 * Identity headers that other gateways write and that applications moved from them still
 * believe: oauth2-proxy, Pomerium, Cloudflare Access, AWS ALB, Azure App Service, Apache
 * mod_auth_openidc / IIS-style `X-Remote-*`, Grafana's auth proxy, and our own signed token.
 */
export const FOREIGN_IDENTITY_HEADERS = [
  'remote-jwt',
  'x-forwarded-user',
  'x-forwarded-email',
  'x-forwarded-groups',
  'x-forwarded-preferred-username',
  'x-forwarded-access-token',
  'x-auth-request-user',
  'x-auth-request-email',
  'x-auth-request-groups',
  'x-auth-request-preferred-username',
  'x-auth-request-access-token',
  'x-pomerium-jwt-assertion',
  'x-pomerium-claim-email',
  'x-pomerium-claim-groups',
  'x-pomerium-claim-user',
  'cf-access-jwt-assertion',
  'cf-access-authenticated-user-email',
  'x-amzn-oidc-data',
  'x-amzn-oidc-identity',
  'x-amzn-oidc-accesstoken',
  'x-ms-client-principal',
  'x-ms-client-principal-id',
  'x-ms-client-principal-name',
  'x-ms-client-principal-idp',
  'x-remote-user',
  'x-remote-group',
  'x-remote-groups',
  'x-remote-email',
  'x-webauth-user',
  'x-authenticated-user',
  'oidc-claim-email',
  'oidc-claim-sub',
] as const;

/**
 * Headers that make a framework serve another path or method than the one the policy judged:
 * IIS URL Rewrite, Symfony and Laravel (`X-Original-URL`, `X-Rewrite-URL`), nginx auth_request
 * conventions (`X-Original-URI`, `X-Original-Method`), Envoy, and method overrides honoured by
 * Rails, Laravel, Express's method-override and others.
 */
export const URL_REWRITE_HEADERS = [
  'x-original-url',
  'x-original-uri',
  'x-original-method',
  'x-rewrite-url',
  'x-forwarded-uri',
  'x-forwarded-path',
  'x-forwarded-prefix',
  'x-forwarded-method',
  'x-envoy-original-path',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
] as const;

/**
 * Headers frameworks read as the client's address, set by CDNs and load balancers that are not
 * in front of Gatehouse's sites: Rails reads `Client-Ip`, Spring and others `Forwarded` (RFC
 * 7239), many apps `True-Client-Ip` (Akamai, Cloudflare), `Cf-Connecting-Ip`, `Fastly-Client-Ip`,
 * `X-Cluster-Client-Ip` (Rackspace), `X-Client-Ip`, `X-Originating-Ip`. A client sending one would
 * pass an application's own address checks. (`X-Real-Ip` and `X-Forwarded-*` are set by the
 * proxy itself, not cleared.)
 */
export const CLIENT_ADDRESS_HEADERS = [
  'forwarded',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-cluster-client-ip',
  'x-client-ip',
  'client-ip',
  'x-originating-ip',
] as const;

/** Every name above, in one list: what the shipped nginx, Caddy and Traefik files clear. */
export const UNTRUSTED_REQUEST_HEADERS: readonly string[] = [...FOREIGN_IDENTITY_HEADERS, ...URL_REWRITE_HEADERS, ...CLIENT_ADDRESS_HEADERS];
