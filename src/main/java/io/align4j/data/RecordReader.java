package io.align4j.data;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.align4j.util.UserError;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Streams the records of a data file, one at a time, so files larger than memory work.
 *
 * <p>The layout is sniffed from the first non-blank byte after an optional UTF-8 BOM: {@code [}
 * is a JSON array (read element by element with Jackson's streaming parser), {@code {} is JSONL
 * (read line by line, blank lines ignored), anything else is plain text. Gzip is recognised by
 * the {@code .gz} extension or the magic bytes {@code 1f 8b}. Each JSONL line is checked for
 * size ({@link #MAX_LINE_BYTES}) and strict UTF-8 before it is parsed, so every problem is
 * reported with its 1-based line. A syntax error inside a JSON array cannot be skipped (the
 * parser cannot find the next element), so it always stops the read.
 */
final class RecordReader {
    /** Longest JSONL line accepted: 64 MiB. */
    static final int MAX_LINE_BYTES = 64 << 20;

    /** For a JSONL line: the whole line must be one value. */
    private static final ObjectMapper JSON_LINE = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** For the elements of an array: each read stops at its element's end. */
    private static final ObjectMapper JSON = new ObjectMapper();

    enum Layout { JSONL, JSON_ARRAY, PLAIN_TEXT }

    /** Receives one parsed record; throws {@link RecordError} when the record is malformed. */
    interface JsonHandler {
        void accept(JsonNode record, RecordLocation where);
    }

    /** Receives one paragraph of a plain-text file, starting at {@code where}. */
    interface TextHandler {
        void accept(String paragraph, RecordLocation where);
    }

    private RecordReader() {}

    /** The file's layout, without consuming it. */
    static Layout layout(Path file) {
        try (InputStream in = open(file)) {
            return sniff(in);
        } catch (IOException e) {
            throw new UserError("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Calls {@code handler} for every record of a JSONL or JSON-array file. A malformed record
     * is rethrown ({@link OnError#FAIL}) or counted in {@code problems} ({@link OnError#SKIP}).
     */
    static void forEachJson(Path file, OnError onError, ProblemTally problems, JsonHandler handler) {
        Layout layout = layout(file);
        if (layout == Layout.PLAIN_TEXT) {
            throw new UserError(file + " line 1: not JSON or JSONL (the first character is neither '{' nor '[')");
        }
        try (InputStream in = open(file)) {
            if (layout == Layout.JSONL) readJsonl(file, in, onError, problems, handler);
            else readArray(file, in, onError, problems, handler);
        } catch (IOException e) {
            throw new UserError("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The first record of a JSONL or JSON-array file that parses as an object, or null when none
     * does before the end or a syntax error that stops an array; for choosing a reader before
     * the read that reports every problem.
     */
    static JsonNode firstRecord(Path file) {
        JsonNode[] first = {null};
        try {
            forEachJson(file, OnError.SKIP, new ProblemTally(), (record, where) -> {
                first[0] = record;
                throw new FirstRecordSeen();
            });
        } catch (FirstRecordSeen | RecordError e) {
            // the first record decided, or the array cannot be read past a syntax error
        }
        return first[0];
    }

    /** Ends a read after its first record, without a stack trace. */
    private static final class FirstRecordSeen extends RuntimeException {
        FirstRecordSeen() { super(null, null, false, false); }
    }

    /** Calls {@code handler} for every blank-line-separated paragraph of a plain-text file. */
    static void forEachParagraph(Path file, OnError onError, ProblemTally problems, TextHandler handler) {
        try (InputStream in = open(file)) {
            LineSource lines = new LineSource(file, in);
            StringBuilder paragraph = new StringBuilder();
            long start = 0;
            String line;
            while (true) {
                try {
                    line = lines.next();
                } catch (RecordError e) {
                    problems.handle(e, onError);
                    continue;
                }
                if (line == null || line.isBlank()) {
                    if (paragraph.length() > 0) handler.accept(paragraph.toString(), RecordLocation.line(file, start));
                    paragraph.setLength(0);
                    if (line == null) return;
                } else {
                    if (paragraph.length() == 0) start = lines.lineNumber();
                    else paragraph.append('\n');
                    paragraph.append(line);
                }
            }
        } catch (IOException e) {
            throw new UserError("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static void readJsonl(Path file, InputStream in, OnError onError, ProblemTally problems, JsonHandler handler)
            throws IOException {
        LineSource lines = new LineSource(file, in);
        while (true) {
            String line;
            try {
                line = lines.next();
                if (line == null) return;
                if (line.isBlank()) continue;
                RecordLocation where = RecordLocation.line(file, lines.lineNumber());
                handler.accept(parseLine(line, where), where);
            } catch (RecordError e) {
                problems.handle(e, onError);
            }
        }
    }

    private static JsonNode parseLine(String line, RecordLocation where) {
        JsonNode node;
        try {
            node = JSON_LINE.readTree(line);
        } catch (JsonProcessingException e) {
            throw where.error(Problem.INVALID_JSON, null, "invalid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw where.error(Problem.NOT_AN_OBJECT, null, "expected a JSON object, got " + Fields.typeName(node));
        }
        return node;
    }

    private static void readArray(Path file, InputStream in, OnError onError, ProblemTally problems, JsonHandler handler)
            throws IOException {
        int element = 0;
        long line = 1;
        try (JsonParser parser = JSON.getFactory().createParser(in)) {
            parser.nextToken();
            while (true) {
                JsonToken token = parser.nextToken();
                line = parser.currentTokenLocation().getLineNr();
                if (token == JsonToken.END_ARRAY) break;
                if (token == null) throw new JsonParseException(parser, "the array is not closed with ']'");
                RecordLocation where = new RecordLocation(file, line, element);
                JsonNode node = JSON.readTree(parser);
                try {
                    if (!node.isObject()) {
                        throw where.error(Problem.NOT_AN_OBJECT, null, "expected a JSON object, got " + Fields.typeName(node));
                    }
                    handler.accept(node, where);
                } catch (RecordError e) {
                    problems.handle(e, onError);
                }
                element++;
            }
            if (parser.nextToken() != null) {
                throw new JsonParseException(parser, "unexpected content after the closing ']'");
            }
        } catch (JsonProcessingException e) {
            long at = e.getLocation() != null && e.getLocation().getLineNr() > 0 ? e.getLocation().getLineNr() : line;
            String message = e.getOriginalMessage();
            boolean utf8 = message != null && message.startsWith("Invalid UTF-8");
            String what = (utf8 ? "" : e instanceof StreamConstraintsException ? "over a size limit: " : "invalid JSON: ") + message;
            throw new RecordLocation(file, at, element).error(utf8 ? Problem.INVALID_UTF8 : Problem.INVALID_JSON, null,
                    what + " (a JSON array cannot be read past a syntax error)");
        }
    }

    /** The file's bytes, gunzipped when it is gzip by name or by magic bytes. */
    static InputStream open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new UserError("data file " + file + " does not exist");
        BufferedInputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        raw.mark(2);
        int b0 = raw.read();
        int b1 = raw.read();
        raw.reset();
        boolean gzip = file.getFileName().toString().endsWith(".gz") || (b0 == 0x1f && b1 == 0x8b);
        return gzip ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
    }

    private static Layout sniff(InputStream in) throws IOException {
        int b = in.read();
        if (b == 0xEF) {
            in.read();
            in.read();
            b = in.read();
        }
        while (b == ' ' || b == '\n' || b == '\r' || b == '\t') b = in.read();
        if (b == '[') return Layout.JSON_ARRAY;
        if (b == '{' || b == -1) return Layout.JSONL;
        return Layout.PLAIN_TEXT;
    }

    /** Lines of a stream as strictly decoded UTF-8 strings, without their terminator, with a size limit. */
    private static final class LineSource {
        private final Path file;
        private final InputStream in;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private long lineNumber;
        private boolean eof;

        LineSource(Path file, InputStream in) {
            this.file = file;
            this.in = in;
        }

        long lineNumber() { return lineNumber; }

        /** The next line, or null at the end; a line over the limit or with invalid UTF-8 is a {@link RecordError}. */
        String next() throws IOException {
            if (eof) return null;
            buffer.reset();
            long length = 0;
            int b;
            try {
                while ((b = in.read()) != -1 && b != '\n') {
                    if (length++ < MAX_LINE_BYTES) buffer.write(b);
                }
            } catch (IOException e) {
                throw new UserError(file + " line " + (lineNumber + 1) + ": cannot read (" + e.getMessage() + ")", e);
            }
            if (b == -1) {
                eof = true;
                if (length == 0) return null;
            }
            lineNumber++;
            RecordLocation where = RecordLocation.line(file, lineNumber);
            if (length > MAX_LINE_BYTES) {
                throw where.error(Problem.LINE_TOO_LONG, null, "line of " + length + " bytes is over the limit of " + MAX_LINE_BYTES);
            }
            byte[] bytes = buffer.toByteArray();
            int start = lineNumber == 1 && bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB
                    && (bytes[2] & 0xFF) == 0xBF ? 3 : 0;
            int end = bytes.length > start && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes, start, end - start)).toString();
            } catch (CharacterCodingException e) {
                throw where.error(Problem.INVALID_UTF8, null, "invalid UTF-8 (" + e.getMessage() + ")");
            }
        }
    }
}
