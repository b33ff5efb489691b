package dev.stratus.core.auth.jwt;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict RFC 8259 JSON parser for what JWTs and JWKS documents contain. Objects become {@code
 * Map<String, Object>} (insertion order), arrays {@code List<Object>}, numbers {@link BigDecimal},
 * strings {@code String}, booleans {@code Boolean}, null {@code null}.
 *
 * <p>Strict where laxness is a security hole: a duplicate member name is an error (RFC 7519 §4: a
 * JWT with duplicate claim names must be rejected or use the last one; rejecting leaves no two
 * readers disagreeing), as are trailing data, leading zeros, control characters in strings, lone
 * surrogates escapes, nesting deeper than {@link #MAX_DEPTH} and inputs longer than {@link
 * #MAX_LENGTH}.
 */
public final class Json {
  public static final int MAX_DEPTH = 32;
  public static final int MAX_LENGTH = 1 << 20;

  private final String s;
  private int i;
  private int depth;

  private Json(String s) {
    this.s = s;
  }

  /** A JSON syntax error with the offset where it was found. */
  public static final class JsonException extends RuntimeException {
    JsonException(String message, int offset) {
      super(message + " at offset " + offset);
    }
  }

  public static Object parse(String text) {
    if (text.length() > MAX_LENGTH) {
      throw new JsonException("JSON text too long", 0);
    }
    Json p = new Json(text);
    p.ws();
    Object v = p.value();
    p.ws();
    if (p.i != text.length()) {
      throw new JsonException("trailing data", p.i);
    }
    return v;
  }

  /** Parses a JSON text that must be an object. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> parseObject(String text) {
    Object v = parse(text);
    if (!(v instanceof Map)) {
      throw new JsonException("expected a JSON object", 0);
    }
    return (Map<String, Object>) v;
  }

  private void ws() {
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        i++;
      } else {
        return;
      }
    }
  }

  private Object value() {
    if (i >= s.length()) {
      throw new JsonException("unexpected end", i);
    }
    char c = s.charAt(i);
    return switch (c) {
      case '{' -> object();
      case '[' -> array();
      case '"' -> string();
      case 't' -> literal("true", Boolean.TRUE);
      case 'f' -> literal("false", Boolean.FALSE);
      case 'n' -> literal("null", null);
      default -> {
        if (c == '-' || (c >= '0' && c <= '9')) {
          yield number();
        }
        throw new JsonException("unexpected character '" + c + "'", i);
      }
    };
  }

  private Object literal(String word, Object v) {
    if (!s.startsWith(word, i)) {
      throw new JsonException("expected " + word, i);
    }
    i += word.length();
    return v;
  }

  private void enter() {
    if (++depth > MAX_DEPTH) {
      throw new JsonException("nested too deeply", i);
    }
  }

  private Map<String, Object> object() {
    enter();
    i++; // '{'
    Map<String, Object> m = new LinkedHashMap<>();
    ws();
    if (peek() == '}') {
      i++;
      depth--;
      return m;
    }
    while (true) {
      ws();
      if (peek() != '"') {
        throw new JsonException("expected a member name", i);
      }
      int at = i;
      String name = string();
      ws();
      expect(':');
      ws();
      Object v = value();
      if (m.containsKey(name)) {
        throw new JsonException("duplicate member \"" + name + "\"", at);
      }
      m.put(name, v);
      ws();
      char c = next();
      if (c == '}') {
        depth--;
        return m;
      }
      if (c != ',') {
        throw new JsonException("expected ',' or '}'", i - 1);
      }
    }
  }

  private List<Object> array() {
    enter();
    i++; // '['
    List<Object> a = new ArrayList<>();
    ws();
    if (peek() == ']') {
      i++;
      depth--;
      return a;
    }
    while (true) {
      ws();
      a.add(value());
      ws();
      char c = next();
      if (c == ']') {
        depth--;
        return a;
      }
      if (c != ',') {
        throw new JsonException("expected ',' or ']'", i - 1);
      }
    }
  }

  private String string() {
    i++; // opening quote
    StringBuilder b = new StringBuilder();
    while (true) {
      char c = next();
      if (c == '"') {
        return b.toString();
      }
      if (c < 0x20) {
        throw new JsonException("control character in a string", i - 1);
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      char e = next();
      switch (e) {
        case '"', '\\', '/' -> b.append(e);
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'u' -> {
          char u = hex4();
          if (Character.isHighSurrogate(u)) {
            if (!s.startsWith("\\u", i)) {
              throw new JsonException("lone surrogate", i);
            }
            i += 2;
            char low = hex4();
            if (!Character.isLowSurrogate(low)) {
              throw new JsonException("lone surrogate", i);
            }
            b.append(u).append(low);
          } else if (Character.isLowSurrogate(u)) {
            throw new JsonException("lone surrogate", i);
          } else {
            b.append(u);
          }
        }
        default -> throw new JsonException("bad escape \\" + e, i - 1);
      }
    }
  }

  private char hex4() {
    if (i + 4 > s.length()) {
      throw new JsonException("truncated \\u escape", i);
    }
    int v = 0;
    for (int k = 0; k < 4; k++) {
      int d = Character.digit(s.charAt(i++), 16);
      if (d < 0) {
        throw new JsonException("bad \\u escape", i - 1);
      }
      v = v * 16 + d;
    }
    return (char) v;
  }

  private BigDecimal number() {
    int start = i;
    if (peek() == '-') {
      i++;
    }
    if (peek() == '0') {
      i++;
    } else if (isDigit(peek())) {
      digits();
    } else {
      throw new JsonException("bad number", i);
    }
    if (peek() == '.') {
      i++;
      if (!isDigit(peek())) {
        throw new JsonException("bad fraction", i);
      }
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      i++;
      if (peek() == '+' || peek() == '-') {
        i++;
      }
      if (!isDigit(peek())) {
        throw new JsonException("bad exponent", i);
      }
      digits();
    }
    if (i - start > 64) {
      throw new JsonException("number too long", start);
    }
    return new BigDecimal(s.substring(start, i));
  }

  private void digits() {
    while (isDigit(peek())) {
      i++;
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private char peek() {
    return i < s.length() ? s.charAt(i) : '\0';
  }

  private char next() {
    if (i >= s.length()) {
      throw new JsonException("unexpected end", i);
    }
    return s.charAt(i++);
  }

  private void expect(char c) {
    if (next() != c) {
      throw new JsonException("expected '" + c + "'", i - 1);
    }
  }
}
