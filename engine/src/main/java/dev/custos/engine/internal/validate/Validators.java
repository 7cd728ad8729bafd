package dev.custos.engine.internal.validate;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/** The registry of built-in validators by name; immutable after class initialization. */
public final class Validators {
  private static final Map<String, Validator> BY_NAME = new TreeMap<>();

  static {
    register(new Luhn());
    register(new CreditCard());
    register(new Iban());
    register(new UsSsn());
    register(new UsItin());
    register(new AbaRouting());
    register(new UsNpi());
    register(new UsDea());
    register(new UsMbi());
    register(new UsEin());
    register(new UkNino());
    register(new UkNhs());
    register(new EsNif());
    register(new EsNie());
    register(new ItFiscalCode());
    register(new PlPesel());
    register(new SePersonnummer());
    register(new FiHetu());
    register(new NlBsn());
    register(new CaSin());
    register(new AuTfn());
    register(new AuAbn());
    register(new AuAcn());
    register(new AuMedicare());
    register(new InAadhaar());
    register(new InPan());
    register(new SgNric());
    register(new KrRrn());
    register(new BrCpf());
    register(new Imei());
    register(new PhoneNumber());
    register(new DeTaxId());
    register(new DeIdCard());
    register(new DeVat());
    register(new FrNir());
    register(new FrVat());
    register(new ItVat());
    register(new BeNationalNumber());
    register(new DkCpr());
    register(new NoFodselsnummer());
    register(new AtSvnr());
    register(new ChAhv());
    register(new PtNif());
    register(new PtCitizenCard());
    register(new IePpsn());
    register(new SeOrgnr());
    register(new UkDrivingLicence());
    register(new TrTcKimlik());
    register(new ZaId());
    register(new InGstin());
    register(new KrBrn());
    register(new SgUen());
    register(new ThId());
    register(new CnResidentId());
    register(new JpMyNumber());
    register(new HkHkid());
    register(new TwNationalId());
    register(new IlTeudatZehut());
    register(new NzIrd());
    register(new MxCurp());
    register(new MxRfc());
    register(new ClRut());
    register(new ArCuit());
    register(new BitcoinAddress());
    register(new EthereumAddress());
    register(new DateOfBirth());
    register(new Ipv4());
    register(new Jwt());
    register(new PrivateKey());
    register(new GcpServiceAccountKey());
    register(new MacAddress());
    register(new NotRepeated());
    register(new Crc32Base62());
    register(new RandomToken());
    register(PhoneNumberNational.ofDefault());
  }

  private Validators() {}

  private static void register(Validator v) {
    BY_NAME.put(v.name(), v);
  }

  /** Returns the validator with this name, or {@code null}. */
  public static @Nullable Validator byName(String name) {
    Validator v = BY_NAME.get(name);
    return v != null ? v : PhoneNumberNational.ofName(name);
  }

  /**
   * Returns all validator names, sorted ({@code phone_number_national} also takes regions, as in
   * {@code phone_number_national(GB,IE)}).
   */
  public static Set<String> names() {
    return java.util.Collections.unmodifiableSet(BY_NAME.keySet());
  }
}
