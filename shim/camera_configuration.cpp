#include "camera_configuration.h"

using namespace libcamera;

static_assert(int(ColorSpace::Primaries::Rec2020) == 3 && int(ColorSpace::TransferFunction::Rec709) == 2 &&
		      int(ColorSpace::YcbcrEncoding::Rec2020) == 3 && int(ColorSpace::Range::Limited) == 1,
	      "libcamera's ColorSpace enums no longer match picam_color_space");

static picam_color_space toPicam(const std::optional<ColorSpace> &cs)
{
	picam_color_space out{};
	if (cs) {
		out.valid = 1;
		out.primaries = uint8_t(cs->primaries);
		out.transfer = uint8_t(cs->transferFunction);
		out.ycbcr_encoding = uint8_t(cs->ycbcrEncoding);
		out.range = uint8_t(cs->range);
	}
	return out;
}

static const char *roleName(int role)
{
	switch (role) {
	case PICAM_ROLE_RAW: return "raw";
	case PICAM_ROLE_STILL_CAPTURE: return "still capture";
	case PICAM_ROLE_VIDEO_RECORDING: return "video recording";
	case PICAM_ROLE_VIEWFINDER: return "viewfinder";
	}
	return "unknown";
}

extern "C" {

int picam_camera_generate_config(picam_camera *c, const int32_t *roles, int n, picam_config **out,
				 picam_error *err)
{
	return picam::guarded(err, "generate configuration", [&]() -> int {
		if (!c || !out || (n > 0 && !roles))
			return picam::fail(err, -EINVAL, "generate configuration: missing argument");
		size_t streams = c->camera->streams().size();
		if (n < 1 || size_t(n) > streams)
			return picam::fail(err, -EINVAL,
					   "generate configuration %s: %d roles asked, camera has %zu streams",
					   c->id.c_str(), n, streams);
		std::vector<StreamRole> list;
		std::string names;
		for (int i = 0; i < n; i++) {
			if (roles[i] < PICAM_ROLE_RAW || roles[i] > PICAM_ROLE_VIEWFINDER)
				return picam::fail(err, -EINVAL, "generate configuration: unknown role %d", roles[i]);
			static const StreamRole map[] = { StreamRole::Raw, StreamRole::StillCapture,
							  StreamRole::VideoRecording, StreamRole::Viewfinder };
			list.push_back(map[roles[i]]);
			names += (i ? ", " : "") + std::string(roleName(roles[i]));
		}
		std::unique_ptr<CameraConfiguration> cfg = c->camera->generateConfiguration(list);
		if (!cfg)
			return picam::fail(err, -EINVAL, "generate configuration %s: camera cannot provide [%s]",
					   c->id.c_str(), names.c_str());
		*out = new picam_config{ std::move(cfg), c };
		return 0;
	});
}

void picam_config_free(picam_config *cfg)
{
	delete cfg;
}

int picam_config_size(picam_config *cfg)
{
	return cfg ? int(cfg->config->size()) : -EINVAL;
}

static int checkIndex(picam_config *cfg, int index, picam_error *err)
{
	if (!cfg)
		return picam::fail(err, -EINVAL, "configuration: none");
	if (index < 0 || size_t(index) >= cfg->config->size())
		return picam::fail(err, -EINVAL, "configuration: no stream %d (%zu streams)", index,
				   cfg->config->size());
	return 0;
}

int picam_config_get(picam_config *cfg, int index, picam_stream_config *out, picam_error *err)
{
	return picam::guarded(err, "stream configuration", [&]() -> int {
		int ret = checkIndex(cfg, index, err);
		if (ret < 0 || !out)
			return ret < 0 ? ret : picam::fail(err, -EINVAL, "stream configuration: no output");
		const StreamConfiguration &sc = cfg->config->at(index);
		*out = picam_stream_config{};
		out->pixel_format = sc.pixelFormat.fourcc();
		out->modifier = sc.pixelFormat.modifier();
		out->width = sc.size.width;
		out->height = sc.size.height;
		out->stride = sc.stride;
		out->frame_size = sc.frameSize;
		out->buffer_count = sc.bufferCount;
		out->color_space = toPicam(sc.colorSpace);
		return 0;
	});
}

int picam_config_set(picam_config *cfg, int index, const picam_stream_config *in, picam_error *err)
{
	return picam::guarded(err, "stream configuration", [&]() -> int {
		int ret = checkIndex(cfg, index, err);
		if (ret < 0 || !in)
			return ret < 0 ? ret : picam::fail(err, -EINVAL, "stream configuration: no input");
		// Sizes that no sensor has would only overflow frame size arithmetic.
		const uint32_t maxSide = 1 << 15;
		if (in->width == 0 || in->height == 0 || in->width > maxSide || in->height > maxSide)
			return picam::fail(err, -EINVAL, "stream %d: size %ux%u is out of range (1..%u)", index,
					   in->width, in->height, maxSide);
		if (in->buffer_count > 64)
			return picam::fail(err, -EINVAL, "stream %d: %u buffers is more than 64", index,
					   in->buffer_count);
		const picam_color_space &cs = in->color_space;
		if (cs.valid && (cs.primaries > 3 || cs.transfer > 2 || cs.ycbcr_encoding > 3 || cs.range > 1))
			return picam::fail(err, -EINVAL, "stream %d: invalid colour space", index);
		StreamConfiguration &sc = cfg->config->at(index);
		sc.pixelFormat = PixelFormat(in->pixel_format, in->modifier);
		sc.size = Size(in->width, in->height);
		sc.stride = in->stride;
		sc.frameSize = in->frame_size;
		sc.bufferCount = in->buffer_count;
		if (cs.valid)
			sc.colorSpace = ColorSpace(ColorSpace::Primaries(cs.primaries),
						   ColorSpace::TransferFunction(cs.transfer),
						   ColorSpace::YcbcrEncoding(cs.ycbcr_encoding),
						   ColorSpace::Range(cs.range));
		else
			sc.colorSpace.reset();
		return 0;
	});
}

int picam_config_orientation(picam_config *cfg)
{
	return cfg ? int(cfg->config->orientation) : -EINVAL;
}

int picam_config_set_orientation(picam_config *cfg, int orientation, picam_error *err)
{
	return picam::guarded(err, "orientation", [&]() -> int {
		if (!cfg)
			return picam::fail(err, -EINVAL, "orientation: no configuration");
		if (orientation < 1 || orientation > 8)
			return picam::fail(err, -EINVAL, "orientation %d: want 1..8 (EXIF)", orientation);
		cfg->config->orientation = Orientation(orientation);
		return 0;
	});
}

int picam_config_set_sensor(picam_config *cfg, uint32_t bit_depth, uint32_t width, uint32_t height,
			    picam_error *err)
{
	return picam::guarded(err, "sensor configuration", [&]() -> int {
		if (!cfg)
			return picam::fail(err, -EINVAL, "sensor configuration: none");
		if (bit_depth == 0) {
			cfg->config->sensorConfig.reset();
			return 0;
		}
		if (bit_depth > 32 || width == 0 || height == 0 || width > (1 << 15) || height > (1 << 15))
			return picam::fail(err, -EINVAL, "sensor configuration %ux%u/%u bits is out of range",
					   width, height, bit_depth);
		SensorConfiguration sensor;
		sensor.bitDepth = bit_depth;
		sensor.outputSize = Size(width, height);
		cfg->config->sensorConfig = sensor;
		return 0;
	});
}

int picam_config_validate(picam_config *cfg, picam_error *err)
{
	return picam::guarded(err, "validate", [&]() -> int {
		if (!cfg)
			return picam::fail(err, -EINVAL, "validate: no configuration");
		if (cfg->config->empty())
			return PICAM_CONFIG_INVALID;
		switch (cfg->config->validate()) {
		case CameraConfiguration::Valid: return PICAM_CONFIG_VALID;
		case CameraConfiguration::Adjusted: return PICAM_CONFIG_ADJUSTED;
		default: return PICAM_CONFIG_INVALID;
		}
	});
}

int picam_config_formats(picam_config *cfg, int index, picam_bytes *out, picam_error *err)
{
	return picam::guarded(err, "stream formats", [&]() -> int {
		int ret = checkIndex(cfg, index, err);
		if (ret < 0 || !out)
			return ret < 0 ? ret : picam::fail(err, -EINVAL, "stream formats: no output");
		const StreamFormats &formats = cfg->config->at(index).formats();
		out->data.clear();
		picam::Writer w(out->data);
		std::vector<PixelFormat> pfs = formats.pixelformats();
		w.put<uint32_t>(pfs.size());
		for (const PixelFormat &pf : pfs) {
			w.put<uint32_t>(pf.fourcc());
			w.put<uint32_t>(0);
			w.put<uint64_t>(pf.modifier());
			SizeRange r = formats.range(pf);
			w.put<uint32_t>(r.min.width);
			w.put<uint32_t>(r.min.height);
			w.put<uint32_t>(r.max.width);
			w.put<uint32_t>(r.max.height);
			w.put<uint32_t>(r.hStep);
			w.put<uint32_t>(r.vStep);
			std::vector<Size> sizes = formats.sizes(pf);
			w.put<uint32_t>(sizes.size());
			for (const Size &s : sizes) {
				w.put<uint32_t>(s.width);
				w.put<uint32_t>(s.height);
			}
		}
		return 0;
	});
}

} // extern "C"
