package dev.custos.engine.internal.validate;

/**
 * Computes Keccak-256 as specified by the Keccak team and FIPS 202 (Keccak-f[1600], rate 1088
 * bits) with the original Keccak padding 0x01, as Ethereum uses; not SHA3-256. Stateless.
 */
final class Keccak256 {
  private static final int RATE = 136;
  private static final long[] ROUND_CONSTANTS = new long[24];
  private static final int[] ROTATIONS = new int[25];

  static {
    // Round constants from the LFSR of FIPS 202, algorithm 5 (rc) and 6 (iota).
    for (int round = 0; round < 24; round++) {
      long rc = 0;
      for (int j = 0; j <= 6; j++) {
        if (rcBit(j + 7 * round)) {
          rc |= 1L << ((1 << j) - 1);
        }
      }
      ROUND_CONSTANTS[round] = rc;
    }
    // Rotation offsets from FIPS 202, algorithm 2 (rho).
    int x = 1;
    int y = 0;
    for (int t = 0; t < 24; t++) {
      ROTATIONS[x + 5 * y] = ((t + 1) * (t + 2) / 2) % 64;
      int nx = y;
      int ny = (2 * x + 3 * y) % 5;
      x = nx;
      y = ny;
    }
  }

  private Keccak256() {}

  private static boolean rcBit(int t) {
    if (t % 255 == 0) {
      return true;
    }
    int r = 0x01; // bit i of r is R[i]; R = 10000000
    for (int i = 1; i <= t % 255; i++) {
      r <<= 1; // R = 0 || R, now 9 bits
      int r8 = (r >> 8) & 1;
      r ^= r8 | (r8 << 4) | (r8 << 5) | (r8 << 6);
      r &= 0xff;
    }
    return (r & 1) != 0;
  }

  /** Returns the 32-byte Keccak-256 digest of {@code input}. */
  static byte[] hash(byte[] input) {
    long[] state = new long[25];
    int off = 0;
    while (input.length - off >= RATE) {
      absorb(state, input, off);
      permute(state);
      off += RATE;
    }
    byte[] last = new byte[RATE];
    int rem = input.length - off;
    System.arraycopy(input, off, last, 0, rem);
    last[rem] ^= 0x01;
    last[RATE - 1] ^= (byte) 0x80;
    absorb(state, last, 0);
    permute(state);
    byte[] out = new byte[32];
    for (int i = 0; i < 32; i++) {
      out[i] = (byte) (state[i / 8] >>> (8 * (i % 8)));
    }
    return out;
  }

  private static void absorb(long[] state, byte[] block, int off) {
    for (int lane = 0; lane < RATE / 8; lane++) {
      long v = 0;
      for (int b = 0; b < 8; b++) {
        v |= (block[off + lane * 8 + b] & 0xffL) << (8 * b);
      }
      state[lane] ^= v;
    }
  }

  private static void permute(long[] a) {
    long[] c = new long[5];
    long[] b = new long[25];
    for (int round = 0; round < 24; round++) {
      // theta
      for (int x = 0; x < 5; x++) {
        c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
      }
      for (int x = 0; x < 5; x++) {
        long d = c[(x + 4) % 5] ^ Long.rotateLeft(c[(x + 1) % 5], 1);
        for (int y = 0; y < 25; y += 5) {
          a[x + y] ^= d;
        }
      }
      // rho and pi: B[y, 2x+3y] = rot(A[x, y], r[x, y])
      for (int x = 0; x < 5; x++) {
        for (int y = 0; y < 5; y++) {
          b[y + 5 * ((2 * x + 3 * y) % 5)] = Long.rotateLeft(a[x + 5 * y], ROTATIONS[x + 5 * y]);
        }
      }
      // chi
      for (int y = 0; y < 25; y += 5) {
        for (int x = 0; x < 5; x++) {
          a[x + y] = b[x + y] ^ (~b[(x + 1) % 5 + y] & b[(x + 2) % 5 + y]);
        }
      }
      // iota
      a[0] ^= ROUND_CONSTANTS[round];
    }
  }
}
