#!/usr/bin/env bash
# Sourced by the set-up scripts. Makes the npm commands they run independent of the npm (and Node)
# that started them.
#
# `npm test` / `npm run` export their whole configuration to child processes as npm_config_* variables
# (npm_config_user_agent="npm/11 node/v20 ...", npm_config_nodedir, npm_config_allow_scripts, ...), plus
# npm_lifecycle_*, npm_package_*, npm_execpath, npm_node_execpath, NODE and INIT_CWD. A nested `npm
# install` reads those variables as its own configuration, so it would re-export the parent's user agent
# (code-server's postinstall reads the Node major from it and refused to run: "requires node v24, you are on
# node v20"), build native modules against the parent's Node headers and apply the parent's approvals.
#
# dd_clean_npm_env removes all of them. A nested npm then reads its configuration from the same files the
# parent did (~/.npmrc, the global npmrc, the project's .npmrc), so the registry and its certificates stay
# as configured. Network settings that may exist only in the environment are kept (they are the same for
# every npm on the machine): registry, proxies and certificates. Callers set what they need explicitly
# afterwards (e2e-setup.sh sets npm_config_nodedir for Node 24's headers).
DD_NPM_ENV_KEEP='^npm_config_(registry|proxy|https_proxy|http_proxy|noproxy|no_proxy|cafile|ca|strict_ssl)$'

dd_clean_npm_env() {
  local name lower
  while IFS= read -r name; do
    lower=$(printf '%s' "$name" | tr '[:upper:]' '[:lower:]')
    case "$lower" in
      npm_config_*)
        if ! [[ "$lower" =~ $DD_NPM_ENV_KEEP ]]; then unset "$name"; fi
        ;;
      npm_*) unset "$name" ;;
    esac
  done < <(compgen -e)
  unset NODE INIT_CWD
}
