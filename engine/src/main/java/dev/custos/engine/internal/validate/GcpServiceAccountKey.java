package dev.custos.engine.internal.validate;

/**
 * Checks that a match looks like a Google Cloud service account key file (the JSON key format
 * documented by Google Cloud IAM): it names both the "service_account" type and "private_key_id".
 */
final class GcpServiceAccountKey implements Validator {
  @Override
  public String name() {
    return "gcp_service_account_key";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = value.toString();
    return s.contains("service_account") && s.contains("private_key_id");
  }
}
