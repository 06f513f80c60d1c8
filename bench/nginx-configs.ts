/** Bodies of nginx's `http {}` for the bench: the upstream, the plain proxy (B) and auth_request (F). */

/** A static 4 KB page for every path (scenario A, and the upstream behind B, D and F). */
export function upstreamConfig(root: string) {
  return (port: number) => `
  open_file_cache max=16 inactive=60s;
  open_file_cache_valid 60s;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { default_type text/html; try_files /page.html =404; }
  }`;
}

/** How every nginx scenario (B, F and L's protected site) passes a request on, so they compare alike. */
export const PROXY_HEADERS = `
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-For $remote_addr;`;

/** B: nginx proxy_pass with upstream keep-alive, the practical limit for a proxy. */
export function proxyConfig(upstreamPort: number) {
  return (port: number) => `
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;${PROXY_HEADERS}
    }
  }`;
}

/**
 * F: e2e/nginx/gatehouse-auth-request.conf (the file the test suite runs as written) on plain
 * HTTP, with keep-alive pools large enough for the bench's connections.
 */
export function authRequestConfig(upstreamPort: number, gatewayPort: number) {
  return (port: number) => `
  upstream gatehouse { server 127.0.0.1:${gatewayPort}; keepalive 128; }
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location = /internal/gatehouse-authz {
      internal;
      proxy_pass http://gatehouse/api/authz/auth-request;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header Content-Length "";
      proxy_pass_request_body off;
    }
    location / {
      auth_request /internal/gatehouse-authz;
      auth_request_set $gatehouse_user   $upstream_http_remote_user;
      auth_request_set $gatehouse_groups $upstream_http_remote_groups;
      auth_request_set $gatehouse_name   $upstream_http_remote_name;
      auth_request_set $gatehouse_email  $upstream_http_remote_email;
      auth_request_set $gatehouse_redirect $upstream_http_location;
      error_page 401 =302 $gatehouse_redirect;
      proxy_pass http://app;${PROXY_HEADERS}
      proxy_set_header Remote-User   $gatehouse_user;
      proxy_set_header Remote-Groups $gatehouse_groups;
      proxy_set_header Remote-Name   $gatehouse_name;
      proxy_set_header Remote-Email  $gatehouse_email;
    }
  }`;
}
