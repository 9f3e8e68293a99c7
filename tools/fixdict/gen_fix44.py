#!/usr/bin/env python3
"""gen_fix44.py - writes src/fix/dict_fix44.c, the FIX 4.4 data dictionary as
C tables, from a dictionary file in QuickFIX's XML format (jspurefix's
data/FIX44.xml).

Run at development time only (`make fixdict`); the output is committed, so a
build needs neither this script nor the network. The tables are what
src/fix/dict.c validates with (see its opening comment for the design):

  - per tag (dense, indexed by tag number): data type, enumeration set, name;
  - per context (the header, the trailer, every message body and every
    distinct repeating group): a bitset of the tags allowed directly in it,
    the list of required tags, and the repeating groups it contains;
  - per group: the count tag and the delimiter (the first field of an entry);
  - per tag, the count tags of the groups it belongs to (the codec lets such
    a tag repeat once one of them is in the message).

Components are flattened into the context that includes them. A field is
required in a context when it is required in its component and every
component on the way is required too (QuickFIX reads it the same way).
Groups with the same count tag, members and required fields are shared.
Departures from the file (EXTENSIONS below; CHAR fields listing values of
two characters become STRING) are documented in docs/fix.md.

Usage: gen_fix44.py FIX44.xml OUT.c
"""
import sys
import xml.etree.ElementTree as ET

TYPES = [
    # the dictionary's types; each is OMS__FIX_T_<TYPE> in src/fix/dict_internal.h
    "STRING", "CHAR", "INT", "LENGTH", "NUMINGROUP", "SEQNUM", "TAGNUM",
    "DAYOFMONTH", "FLOAT", "QTY", "PRICE", "PRICEOFFSET", "AMT", "PERCENTAGE",
    "BOOLEAN", "UTCTIMESTAMP", "UTCTIMEONLY", "UTCDATEONLY", "LOCALMKTDATE",
    "MONTHYEAR", "MULTIPLEVALUESTRING", "EXCHANGE", "CURRENCY", "COUNTRY",
    "DATA",
]


# What this tree accepts beyond FIX 4.4, field names per message name. Each
# is a documented extension (docs/fix.md, "Data-dictionary validation").
EXTENSIONS = {
    # The gateway cancels one account's orders when a mass cancel names it.
    "OrderMassCancelRequest": ["Account"],
}


def fail(msg):
    sys.stderr.write("gen_fix44: " + msg + "\n")
    sys.exit(1)


def main():
    if len(sys.argv) != 3:
        fail("usage: gen_fix44.py FIX44.xml OUT.c")
    root = ET.parse(sys.argv[1]).getroot()
    if root.get("major") != "4" or root.get("minor") != "4":
        fail("not a FIX 4.4 dictionary")

    fields = {}  # name -> (tag, type, [enum values])
    for f in root.find("fields"):
        vals = [v.get("enum") for v in f.findall("value")]
        t = f.get("type")
        if t not in TYPES:
            fail("unknown type %s of %s" % (t, f.get("name")))
        if t == "CHAR" and any(len(v) > 1 for v in vals):
            # FIX 4.4 lists "99" (Other) for some CHAR fields
            # (MassCancelRejectReason): keep the values valid.
            t = "STRING"
        fields[f.get("name")] = (int(f.get("number")), t, vals)
    by_tag = {v[0]: (k, v[1], v[2]) for k, v in fields.items()}
    max_tag = max(by_tag)

    components = {c.get("name"): c for c in root.find("components")}

    groups = []  # dicts: count, delim, allowed, required, subs (list of group ids)
    group_key = {}

    def flatten(elem, ctx, required_chain, path):
        """Adds elem's children to ctx (allowed list, required list, subs)."""
        for child in elem:
            req = required_chain and child.get("required") == "Y"
            name = child.get("name")
            if child.tag == "field":
                if name not in fields:
                    fail("unknown field %s" % name)
                tag = fields[name][0]
                ctx["allowed"].append(tag)
                if req:
                    ctx["required"].append(tag)
            elif child.tag == "component":
                if name in path:
                    fail("recursive component %s" % name)
                flatten(components[name], ctx, req, path + [name])
            elif child.tag == "group":
                tag = fields[name][0]
                ctx["allowed"].append(tag)
                if req:
                    ctx["required"].append(tag)
                ctx["subs"].append(make_group(child, path))
            else:
                fail("unexpected element %s" % child.tag)

    def make_group(elem, path):
        g = {"count": fields[elem.get("name")][0], "allowed": [], "required": [],
             "subs": []}
        flatten(elem, g, True, path)
        if not g["allowed"]:
            fail("empty group %s" % elem.get("name"))
        g["delim"] = g["allowed"][0]
        key = (g["count"], tuple(g["allowed"]), tuple(g["required"]), tuple(g["subs"]))
        if key in group_key:
            return group_key[key]
        groups.append(g)
        group_key[key] = len(groups) - 1
        return len(groups) - 1

    def context(elem):
        ctx = {"allowed": [], "required": [], "subs": []}
        flatten(elem, ctx, True, [])
        return ctx

    header = context(root.find("header"))
    trailer = context(root.find("trailer"))
    messages = []
    for m in root.find("messages"):
        ctx = context(m)
        for name in EXTENSIONS.get(m.get("name"), []):
            if fields[name][0] not in ctx["allowed"]:
                ctx["allowed"].append(fields[name][0])
        ctx["name"] = m.get("name")
        ctx["type"] = m.get("msgtype")
        ctx["admin"] = m.get("msgcat") == "admin"
        if len(ctx["type"]) > 2:
            fail("MsgType longer than 2: %s" % ctx["type"])
        messages.append(ctx)
    messages.sort(key=lambda c: (len(c["type"]), c["type"]))

    for ctx in [header, trailer] + messages + groups:
        for t in ctx["allowed"]:
            if ctx["allowed"].count(t) > 1:
                fail("tag %d twice in one context" % t)

    # Enumerations: one-byte values as a 128-bit set, longer ones (at most 16
    # bytes) as sorted keys of two packed words.
    enum_sets = [None]
    enum_index = {}
    keys = []
    field_enum = {}
    for tag in sorted(by_tag):
        name, t, vals = by_tag[tag]
        if not vals:
            continue
        lo = hi = 0
        multi = []
        for v in vals:
            b = v.encode("ascii")
            if len(b) == 0 or len(b) > 16:
                fail("enum value %r of %s is not 1..16 bytes" % (v, name))
            if len(b) == 1:
                c = b[0]
                if c >= 128:
                    fail("non-ASCII enum of %s" % name)
                if c < 64:
                    lo |= 1 << c
                else:
                    hi |= 1 << (c - 64)
            else:
                b = b.ljust(16, b"\0")
                multi.append((int.from_bytes(b[:8], "little"), int.from_bytes(b[8:], "little")))
        multi = sorted(set(multi))
        k = (lo, hi, tuple(multi))
        if k not in enum_index:
            enum_index[k] = len(enum_sets)
            enum_sets.append((lo, hi, len(keys), len(multi)))
            keys.extend(multi)
        field_enum[tag] = enum_index[k]

    def gdepth(g, d):
        return max([d] + [gdepth(s, d + 1) for s in groups[g]["subs"]])
    depth = 0
    for c in [header] + messages:
        for s in c["subs"]:
            depth = max(depth, gdepth(s, 1))

    words = (max_tag + 64) // 64
    if words > 16 or depth > 8:
        fail("tables exceed OMS__FIX_DICT_MAX_WORDS / OMS__FIX_DICT_MAX_DEPTH")
    out = []
    w = out.append
    w("/*")
    w(" * dict_fix44.c - GENERATED by tools/fixdict/gen_fix44.py from the FIX 4.4")
    w(" * data dictionary (QuickFIX format, jspurefix data/FIX44.xml). Do not edit:")
    w(" * run `make fixdict` to regenerate. See src/fix/dict.c for how it is used.")
    w(" *")
    w(" * %d fields (tags 1..%d), %d messages, %d distinct repeating groups," %
      (len(by_tag), max_tag, len(messages), len(groups)))
    w(" * %d enumerated fields in %d distinct value sets." % (len(field_enum), len(enum_sets) - 1))
    w(" */")
    w("/* clang-format off */")
    w('#include "fix/dict_internal.h"')
    w("")
    w("#define MAX_TAG %d" % max_tag)
    w("#define WORDS %d" % words)
    w("")
    w("static const uint8_t field_type[MAX_TAG + 1] = {")
    for tag in sorted(by_tag):
        w("    [%d] = OMS__FIX_T_%s," % (tag, by_tag[tag][1]))
    w("};")
    w("")
    # Per tag, the count tags of the groups it is a direct member of: the
    # codec lets a tag repeat when one of them is in the message.
    member_of = {}
    for g in groups:
        for t in g["allowed"]:
            member_of.setdefault(t, set()).add(g["count"])
    w("/* Per tag, the count tags of the groups it belongs to:")
    w(" * repeat_counts[repeat_first[tag] .. repeat_first[tag + 1]). */")
    w("static const uint16_t repeat_first[MAX_TAG + 2] = {")
    pos = 0
    firsts = []
    for tag in range(max_tag + 2):
        firsts.append(pos)
        pos += len(member_of.get(tag, ()))
    for i in range(0, len(firsts), 16):
        w("    " + ", ".join(str(x) for x in firsts[i:i + 16]) + ",")
    w("};")
    w("")
    w("static const uint16_t repeat_counts[] = {")
    flat = []
    for tag in range(max_tag + 1):
        flat.extend(sorted(member_of.get(tag, ())))
    for i in range(0, len(flat), 16):
        w("    " + ", ".join(str(x) for x in flat[i:i + 16]) + ",")
    w("};")
    w("")
    w("static const uint16_t field_enum[MAX_TAG + 1] = {")
    for tag in sorted(field_enum):
        w("    [%d] = %d," % (tag, field_enum[tag]))
    w("};")
    w("")
    w("/* Names, for logs and tests: offsets into one string. */")
    blob = []
    offs = {}
    pos = 0
    for tag in sorted(by_tag):
        offs[tag] = pos
        blob.append(by_tag[tag][0])
        pos += len(by_tag[tag][0]) + 1
    w("static const char names[] =")
    line = ""
    for n in blob:
        piece = n + "\\0"
        if len(line) + len(piece) > 88:
            w('    "%s"' % line)
            line = ""
        line += piece
    w('    "%s";' % line)
    w("")
    w("static const uint32_t name_off[MAX_TAG + 1] = {")
    for tag in sorted(by_tag):
        w("    [%d] = %d + 1," % (tag, offs[tag]))
    w("};")
    w("")
    w("static const oms__fix_enum_set_t enum_sets[] = {")
    w("    {0, 0, 0, 0},")
    for lo, hi, first, n in enum_sets[1:]:
        w("    {UINT64_C(0x%x), UINT64_C(0x%x), %d, %d}," % (lo, hi, first, n))
    w("};")
    w("")
    w("static const oms__fix_enum_key_t enum_keys[] = {")
    for a, b in keys:
        text = (a.to_bytes(8, "little") + b.to_bytes(8, "little")).rstrip(b"\0").decode()
        w("    {UINT64_C(0x%x), UINT64_C(0x%x)}, /* %s */" % (a, b, text))
    if not keys:
        w("    {0, 0},")
    w("};")
    w("")

    # Contexts: 0 header, 1 trailer, 2.. messages, then groups.
    contexts = [("header", header), ("trailer", trailer)]
    contexts += [("message %s (%s)" % (m["name"], m["type"]), m) for m in messages]
    gbase = len(contexts)
    contexts += [("group %s" % by_tag[g["count"]][0], g) for g in groups]

    w("static const uint64_t allowed[][WORDS] = {")
    for label, c in contexts:
        bits = [0] * words
        for t in c["allowed"]:
            bits[t // 64] |= 1 << (t % 64)
        w("    /* %s */ {%s}," % (label, ", ".join("UINT64_C(0x%x)" % b for b in bits)))
    w("};")
    w("")
    req = []
    subs = []
    spans = []
    for label, c in contexts:
        spans.append((len(req), len(c["required"]), len(subs), len(c["subs"])))
        req.extend(c["required"])
        subs.extend(gbase + s for s in c["subs"])
    w("static const uint16_t required[] = {")
    for i in range(0, len(req), 12):
        w("    " + ", ".join(str(t) for t in req[i:i + 12]) + ",")
    w("};")
    w("")
    w("static const uint16_t subgroups[] = {")
    for i in range(0, len(subs), 12):
        w("    " + ", ".join(str(t) for t in subs[i:i + 12]) + ",")
    w("};")
    w("")
    w("static const oms__fix_ctx_t contexts[] = {")
    for (label, c), (rf, rn, sf, sn) in zip(contexts, spans):
        count = c.get("count", 0)
        delim = c.get("delim", 0)
        w("    {%d, %d, %d, %d, %d, %d}, /* %s */" % (count, delim, rf, rn, sf, sn, label))
    w("};")
    w("")
    w("static const oms__fix_msg_def_t messages[] = {")
    for i, m in enumerate(messages):
        w('    {"%s", %d, %d}, /* %s */' % (m["type"], 2 + i, 1 if m["admin"] else 0, m["name"]))
    w("};")
    w("")
    w("static const char *const message_names[] = {")
    for m in messages:
        w('    "%s",' % m["name"])
    w("};")
    w("")
    w("const oms_fix_dict_t oms__fix44_dict = {")
    w('    .name = "FIX.4.4",')
    w("    .max_tag = MAX_TAG,")
    w("    .words = WORDS,")
    w("    .field_type = field_type,")
    w("    .field_enum = field_enum,")
    w("    .repeat_first = repeat_first,")
    w("    .repeat_counts = repeat_counts,")
    w("    .names = names,")
    w("    .name_off = name_off,")
    w("    .enum_sets = enum_sets,")
    w("    .enum_keys = enum_keys,")
    w("    .allowed = &allowed[0][0],")
    w("    .required = required,")
    w("    .subgroups = subgroups,")
    w("    .contexts = contexts,")
    w("    .ncontexts = %d," % len(contexts))
    w("    .messages = messages,")
    w("    .message_names = message_names,")
    w("    .nmessages = %d," % len(messages))
    w("    .nfields = %d," % len(by_tag))
    w("    .ngroups = %d," % len(groups))
    w("    .nenum_fields = %d," % len(field_enum))
    w("    .nenum_sets = %d," % (len(enum_sets) - 1))
    w("    .nenum_keys = %d," % len(keys))
    w("    .nrequired = %d," % len(req))
    w("    .nsubgroups = %d," % len(subs))
    w("    .max_depth = %d," % depth)
    w("    .header_ctx = 0,")
    w("    .trailer_ctx = 1,")
    w("};")
    w("/* clang-format on */")
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(out) + "\n")
    depth = 0

    def gdepth(g, d):
        return max([d] + [gdepth(s, d + 1) for s in groups[g]["subs"]])
    for c in [header] + messages:
        for s in c["subs"]:
            depth = max(depth, gdepth(s, 1))
    sys.stderr.write("gen_fix44: %d fields, %d messages, %d groups (nesting %d), %d enum sets, %d keys\n"
                     % (len(by_tag), len(messages), len(groups), depth, len(enum_sets) - 1, len(keys)))


if __name__ == "__main__":
    main()
