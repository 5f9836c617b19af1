#include "controls.h"

#include <limits>

using namespace libcamera;

namespace picam {

// By name, not by number: libcamera renumbered ControlType in 0.4.
int toPicamType(ControlType t)
{
	switch (t) {
	case ControlTypeNone: return PICAM_CONTROL_NONE;
	case ControlTypeBool: return PICAM_CONTROL_BOOL;
	case ControlTypeByte: return PICAM_CONTROL_BYTE;
	case ControlTypeUnsigned16: return PICAM_CONTROL_UINT16;
	case ControlTypeUnsigned32: return PICAM_CONTROL_UINT32;
	case ControlTypeInteger32: return PICAM_CONTROL_INT32;
	case ControlTypeInteger64: return PICAM_CONTROL_INT64;
	case ControlTypeFloat: return PICAM_CONTROL_FLOAT;
	case ControlTypeString: return PICAM_CONTROL_STRING;
	case ControlTypeRectangle: return PICAM_CONTROL_RECTANGLE;
	case ControlTypeSize: return PICAM_CONTROL_SIZE;
	case ControlTypePoint: return PICAM_CONTROL_POINT;
	}
	return PICAM_CONTROL_NONE;
}

static const char *typeName(int t)
{
	static const char *names[] = { "none",   "bool",  "byte",   "uint16",    "uint32", "int32",
				       "int64",  "float", "string", "rectangle", "size",   "point" };
	return t >= 0 && t < int(sizeof(names) / sizeof(names[0])) ? names[t] : "unknown";
}

static size_t elementSize(int t)
{
	switch (t) {
	case PICAM_CONTROL_BOOL:
	case PICAM_CONTROL_BYTE:
	case PICAM_CONTROL_STRING: return 1;
	case PICAM_CONTROL_UINT16: return 2;
	case PICAM_CONTROL_UINT32:
	case PICAM_CONTROL_INT32:
	case PICAM_CONTROL_FLOAT: return 4;
	case PICAM_CONTROL_INT64:
	case PICAM_CONTROL_SIZE:
	case PICAM_CONTROL_POINT: return 8;
	case PICAM_CONTROL_RECTANGLE: return 16;
	}
	return 0;
}

static_assert(sizeof(Rectangle) == 16 && sizeof(Size) == 8 && sizeof(Point) == 8,
	      "geometry types no longer match the encoding in cshim.h");

void encodeValue(Writer &w, const ControlValue &v)
{
	w.put<uint8_t>(toPicamType(v.type()));
	w.put<uint8_t>(v.isArray() ? 1 : 0);
	w.put<uint16_t>(0);
	Span<const uint8_t> data = v.data();
	w.put<uint32_t>(v.isNone() ? 0 : v.numElements());
	w.put<uint32_t>(data.size());
	w.bytes(data.data(), data.size());
	w.pad4();
}

void encodeList(Writer &w, const ControlList &list)
{
	size_t count = w.placeholder();
	uint32_t n = 0;
	for (const auto &[id, value] : list) {
		w.put<uint32_t>(id);
		encodeValue(w, value);
		n++;
	}
	w.patch(count, n);
}

void encodeControlId(Writer &w, const ControlId *id, int kind)
{
	w.put<uint32_t>(id->id());
	w.put<uint8_t>(toPicamType(id->type()));
	w.put<uint8_t>((id->isInput() ? PICAM_CONTROL_IN : 0) | (id->isOutput() ? PICAM_CONTROL_OUT : 0));
	w.put<uint8_t>(id->isArray() ? 1 : 0);
	w.put<uint8_t>(kind);
	size_t size = id->size();
	w.put<uint32_t>(size == dynamic_extent ? 0xffffffffu : uint32_t(size));
	const std::string &name = id->name();
	const std::string &vendor = id->vendor();
	w.put<uint16_t>(name.size());
	w.put<uint16_t>(vendor.size());
	w.bytes(name.data(), name.size());
	w.bytes(vendor.data(), vendor.size());
	w.pad4();
	const auto &enums = id->enumerators();
	w.put<uint32_t>(enums.size());
	for (const auto &[value, ename] : enums) {
		w.put<int32_t>(value);
		w.put<uint16_t>(ename.size());
		w.bytes(ename.data(), ename.size());
	}
	w.pad4();
}

template <typename T>
static ControlValue makeValue(const uint8_t *p, uint32_t n, bool array)
{
	if (!array) {
		T v{};
		std::memcpy(static_cast<void *>(&v), p, sizeof(T));
		return ControlValue(v);
	}
	std::unique_ptr<T[]> values(new T[n ? n : 1]);
	if (n)
		std::memcpy(static_cast<void *>(values.get()), p, sizeof(T) * n);
	return ControlValue(Span<const T>(values.get(), n));
}

static ControlValue makeValue(int type, const uint8_t *p, uint32_t n, bool array)
{
	switch (type) {
	case PICAM_CONTROL_BOOL: {
		// bool's representation must be 0 or 1: normalise rather than trust.
		std::unique_ptr<bool[]> b(new bool[n ? n : 1]);
		for (uint32_t i = 0; i < n; i++)
			b[i] = p[i] != 0;
		if (!array)
			return ControlValue(b[0]);
		return ControlValue(Span<const bool>(b.get(), n));
	}
	case PICAM_CONTROL_BYTE: return makeValue<uint8_t>(p, n, array);
	case PICAM_CONTROL_UINT16: return makeValue<uint16_t>(p, n, array);
	case PICAM_CONTROL_UINT32: return makeValue<uint32_t>(p, n, array);
	case PICAM_CONTROL_INT32: return makeValue<int32_t>(p, n, array);
	case PICAM_CONTROL_INT64: return makeValue<int64_t>(p, n, array);
	case PICAM_CONTROL_FLOAT: return makeValue<float>(p, n, array);
	case PICAM_CONTROL_STRING: {
#if PICAM_LC_VERSION >= 600
		// 0.6 made string controls std::string_view; the value copies it.
		return ControlValue(std::string_view(reinterpret_cast<const char *>(p), n));
#else
		return ControlValue(std::string(reinterpret_cast<const char *>(p), n));
#endif
	}
	case PICAM_CONTROL_RECTANGLE: return makeValue<Rectangle>(p, n, array);
	case PICAM_CONTROL_SIZE: return makeValue<Size>(p, n, array);
	case PICAM_CONTROL_POINT: return makeValue<Point>(p, n, array);
	}
	return ControlValue();
}

// Decodes an encoded list into out; lookup returns the ControlId an id may be
// set as, or nullptr, in which case the entry is refused because it is absent.
template <typename Lookup>
static int decodeEntries(Lookup &&lookup, const char *absent, const uint8_t *data, size_t len,
			 ControlList &out, picam_error *err)
{
	if (len == 0)
		return 0;
	if (!data)
		return fail(err, -EINVAL, "controls: no data");
	Reader r(data, len);
	uint32_t count;
	if (!r.get(count))
		return fail(err, -EINVAL, "controls: truncated list");
	for (uint32_t i = 0; i < count; i++) {
		uint32_t id, n, dlen;
		uint8_t type, array;
		uint16_t reserved;
		if (!r.get(id) || !r.get(type) || !r.get(array) || !r.get(reserved) || !r.get(n) ||
		    !r.get(dlen))
			return fail(err, -EINVAL, "controls: truncated entry %u", i);
		const uint8_t *p = r.take(dlen);
		if (!p || !r.skipPad4())
			return fail(err, -EINVAL, "controls: truncated value of entry %u", i);

		const ControlId *cid = lookup(id);
		if (!cid) {
			auto known = controls::controls.find(id);
			if (known != controls::controls.end())
				return fail(err, -EINVAL, "control %s is %s", known->second->name().c_str(),
					    absent);
			return fail(err, -EINVAL, "control id %u is %s", id, absent);
		}
		const char *name = cid->name().c_str();
		int want = toPicamType(cid->type());
		if (type != want)
			return fail(err, -EINVAL, "control %s takes %s values, not %s", name, typeName(want),
				    typeName(type));
		size_t esize = elementSize(type);
		if (esize == 0 || uint64_t(n) * esize != dlen)
			return fail(err, -EINVAL, "control %s: %u elements do not fit %u bytes", name, n, dlen);
		if (type == PICAM_CONTROL_STRING) {
			// libcamera keeps strings as arrays of char; any length is fine.
		} else if (cid->isArray()) {
			if (!array)
				return fail(err, -EINVAL, "control %s takes an array", name);
			if (cid->size() != dynamic_extent && n != cid->size())
				return fail(err, -EINVAL, "control %s takes %zu values, got %u", name,
					    cid->size(), n);
		} else if (array || n != 1) {
			return fail(err, -EINVAL, "control %s takes a single value, got %u", name, n);
		}
		out.set(id, makeValue(type, p, n, array || type == PICAM_CONTROL_STRING));
	}
	if (!r.done())
		return fail(err, -EINVAL, "controls: trailing bytes after %u entries", count);
	return 0;
}

int decodeControls(const ControlInfoMap &info, const uint8_t *data, size_t len, ControlList &out,
		   picam_error *err)
{
	auto lookup = [&info](uint32_t id) -> const ControlId * {
		auto it = info.find(id);
		return it == info.end() ? nullptr : it->first;
	};
	return decodeEntries(lookup, "not supported by this camera", data, len, out, err);
}

} // namespace picam

extern "C" int picam_control_list_reencode(const uint8_t *data, size_t len, picam_bytes *out,
					   picam_error *err)
{
	return picam::guarded(err, "control list", [&]() -> int {
		if (!out)
			return picam::fail(err, -EINVAL, "control list: no output buffer");
		auto lookup = [](uint32_t id) -> const ControlId * {
			auto it = controls::controls.find(id);
			return it == controls::controls.end() ? nullptr : it->second;
		};
		ControlList list(controls::controls);
		int ret = picam::decodeEntries(lookup, "not declared by this libcamera", data, len, list,
					       err);
		if (ret < 0)
			return ret;
		out->data.clear();
		picam::Writer w(out->data);
		picam::encodeList(w, list);
		return 0;
	});
}

extern "C" int picam_control_ids(picam_bytes *out, picam_error *err)
{
	return picam::guarded(err, "control ids", [&]() -> int {
		if (!out)
			return picam::fail(err, -EINVAL, "control ids: no output buffer");
		out->data.clear();
		picam::Writer w(out->data);
		size_t count = w.placeholder();
		uint32_t n = 0;
		for (const auto &[id, cid] : controls::controls) {
			picam::encodeControlId(w, cid, 0);
			n++;
		}
		for (const auto &[id, cid] : properties::properties) {
			picam::encodeControlId(w, cid, 1);
			n++;
		}
		w.patch(count, n);
		return 0;
	});
}
