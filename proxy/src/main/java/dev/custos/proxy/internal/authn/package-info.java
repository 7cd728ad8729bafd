/**
 * The authentication layer's parts: JWT, client-certificate and API-key verifiers compiled per
 * configuration, and the credential-abuse guard that outlives reloads. Anything in this package
 * can be changed or removed at any time.
 */
@NullMarked
package dev.custos.proxy.internal.authn;

import org.jspecify.annotations.NullMarked;
