package dev.stratus.deploy;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;

/**
 * What the classes of a built jar refer to, read from their constant pools (JVMS §4.4) without
 * loading them: the environment variable names they mention and the methods they call on a given
 * class. Reading the artifact, not a hand list, is what makes a variable or a DynamoDB call added
 * to the code show up in the checks.
 */
public final class ClassScan {
  /** A name the code may read from the environment: STRATUS_* or AWS_*. */
  static final Pattern ENV_NAME = Pattern.compile("(STRATUS|AWS)_[A-Z0-9_]+");

  private final Set<String> strings = new TreeSet<>();
  private final Set<String> methodRefs = new TreeSet<>(); // "owner/Class#method"

  private ClassScan() {}

  /** Scans every class under {@code packagePrefix} (e.g. {@code dev/stratus/}) in the jar. */
  public static ClassScan of(Path jar, String packagePrefix) throws IOException {
    ClassScan scan = new ClassScan();
    try (JarFile j = new JarFile(jar.toFile())) {
      for (Enumeration<JarEntry> e = j.entries(); e.hasMoreElements(); ) {
        JarEntry entry = e.nextElement();
        if (entry.getName().startsWith(packagePrefix) && entry.getName().endsWith(".class")) {
          try (InputStream in = j.getInputStream(entry)) {
            scan.read(in.readAllBytes(), entry.getName());
          }
        }
      }
    }
    return scan;
  }

  /** Every string constant that looks like an environment variable name. */
  public Set<String> environmentNames() {
    Set<String> names = new TreeSet<>();
    for (String s : strings) {
      if (ENV_NAME.matcher(s).matches()) {
        names.add(s);
      }
    }
    return names;
  }

  /** The names of the methods called on this class (internal name, e.g. {@code a/b/C}). */
  public Set<String> methodsCalledOn(String internalClassName) {
    Set<String> names = new TreeSet<>();
    for (String r : methodRefs) {
      if (r.startsWith(internalClassName + "#")) {
        names.add(r.substring(internalClassName.length() + 1));
      }
    }
    return names;
  }

  private void read(byte[] bytes, String name) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
    if (in.readInt() != 0xCAFEBABE) {
      throw new IOException(name + " is not a class file");
    }
    in.readUnsignedShort(); // minor
    in.readUnsignedShort(); // major
    int count = in.readUnsignedShort();
    String[] utf8 = new String[count];
    int[] tag = new int[count];
    int[] a = new int[count];
    int[] b = new int[count];
    for (int i = 1; i < count; i++) {
      tag[i] = in.readUnsignedByte();
      switch (tag[i]) {
        case 1 -> utf8[i] = in.readUTF();
        case 3, 4 -> in.readInt();
        case 5, 6 -> {
          in.readLong();
          i++; // eight-byte constants take two entries (JVMS §4.4.5)
        }
        case 7, 8, 16, 19, 20 -> a[i] = in.readUnsignedShort();
        case 9, 10, 11, 12, 17, 18 -> {
          a[i] = in.readUnsignedShort();
          b[i] = in.readUnsignedShort();
        }
        case 15 -> {
          in.readUnsignedByte();
          a[i] = in.readUnsignedShort();
        }
        default -> throw new IOException(name + ": unknown constant pool tag " + tag[i]);
      }
    }
    for (int i = 1; i < count; i++) {
      if (tag[i] == 8) {
        strings.add(utf8[a[i]]);
      } else if (tag[i] == 10 || tag[i] == 11) {
        String owner = utf8[a[a[i]]];
        String method = utf8[a[b[i]]];
        methodRefs.add(owner + "#" + method);
      }
    }
  }
}
