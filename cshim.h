/*
 * cshim.h: the one C ABI between Go and libcamera's C++ API.
 *
 * Rules every function follows:
 *  - Handles are opaque; fixed-width C types only.
 *  - Failure is a negative errno; when err is not NULL it also receives a readable
 *    message. No C++ exception, libcamera assertion or abort is reachable from
 *    arguments passed here: every precondition libcamera would assert on is
 *    checked first.
 *  - Strings returned as const char * belong to the handle they came from and
 *    stay valid until that handle is freed.
 *  - Values (controls, properties, metadata) cross as a flat native-endian
 *    encoding described at PICAM_VALUE_* below, so the ABI is the same for every
 *    libcamera version the shim supports (0.4 to 0.7).
 */
#ifndef PICAMGO_CSHIM_H
#define PICAMGO_CSHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ----------------------------------------------------------- */

typedef struct picam_error {
	int32_t code;      /* negative errno, 0 when no error */
	char message[256]; /* NUL-terminated */
} picam_error;

/* ---- versions and logging --------------------------------------------- */

/* libcamera's version at run time, e.g. "v0.7.1". */
const char *picam_libcamera_version(void);
/* The version the shim was compiled against, e.g. "0.7.1". */
const char *picam_libcamera_build_version(void);

/* level: DEBUG, INFO, WARN, ERROR or FATAL. Only categories that already
 * exist are affected (libcamera creates them lazily). */
int picam_log_set_level(const char *category, const char *level, picam_error *err);
/* path NULL or "" sends the log to stderr again. */
int picam_log_set_file(const char *path, int color, picam_error *err);
/* Silences the log entirely (enabled = 0) or sends it to stderr again. */
int picam_log_enable(int enabled, picam_error *err);

/* ---- value encoding ----------------------------------------------------
 *
 * A control list (PICAM list) is:
 *     u32 count, then count entries of:
 *     u32 id; u8 type; u8 is_array; u16 reserved; u32 num_elements; u32 data_len;
 *     data[data_len] padded with zeros to a multiple of 4.
 * data holds num_elements elements of the type's natural C layout:
 *     BOOL u8 (0/1), BYTE u8, UINT16 u16, UINT32 u32, INT32 i32, INT64 i64,
 *     FLOAT f32, STRING char (no NUL), RECTANGLE {i32 x,y; u32 w,h},
 *     SIZE {u32 w,h}, POINT {i32 x,y}.
 * A single value (used in control info) is the same entry without the id.
 */
enum picam_control_type {
	PICAM_CONTROL_NONE = 0,
	PICAM_CONTROL_BOOL = 1,
	PICAM_CONTROL_BYTE = 2,
	PICAM_CONTROL_UINT16 = 3,
	PICAM_CONTROL_UINT32 = 4,
	PICAM_CONTROL_INT32 = 5,
	PICAM_CONTROL_INT64 = 6,
	PICAM_CONTROL_FLOAT = 7,
	PICAM_CONTROL_STRING = 8,
	PICAM_CONTROL_RECTANGLE = 9,
	PICAM_CONTROL_SIZE = 10,
	PICAM_CONTROL_POINT = 11,
};

enum picam_control_direction {
	PICAM_CONTROL_IN = 1,  /* set by the application */
	PICAM_CONTROL_OUT = 2, /* reported in metadata */
};

/* A growable byte buffer owned by the shim, used for encoded results. */
typedef struct picam_bytes picam_bytes;
picam_bytes *picam_bytes_new(void);
const uint8_t *picam_bytes_data(const picam_bytes *b);
size_t picam_bytes_len(const picam_bytes *b);
void picam_bytes_free(picam_bytes *b);

/*
 * Every control and property id libcamera knows, encoded as:
 *     u32 count, then per id record:
 *     u32 id; u8 type; u8 direction bits; u8 is_array; u8 kind (0 control, 1 property);
 *     u32 array_size (0 scalar, 0xffffffff any length); u16 name_len; u16 vendor_len;
 *     name; vendor; pad to 4; u32 enum_count; per enumerator: i32 value; u16 len; name;
 *     pad to 4.
 */
int picam_control_ids(picam_bytes *out, picam_error *err);

/*
 * Decodes an encoded control list against every control libcamera declares
 * (no camera: each value's type and shape checked against its ControlId),
 * stores it in a libcamera ControlList and encodes that list back: what the
 * binding's encoding becomes once libcamera holds it.
 */
int picam_control_list_reencode(const uint8_t *data, size_t len, picam_bytes *out,
				picam_error *err);

/* ---- pixel formats ---------------------------------------------------- */

/* Parses a libcamera pixel format name such as "NV12" or "SRGGB10_CSI2P". */
int picam_pixel_format_from_string(const char *name, uint32_t *fourcc, uint64_t *modifier,
				   picam_error *err);
/* Writes libcamera's name for the format into buf; returns its length. */
int picam_pixel_format_to_string(uint32_t fourcc, uint64_t modifier, char *buf, size_t len);

/* ---- camera manager (one per process, reference counted) --------------- */

typedef struct picam_manager picam_manager;

/* Starts libcamera's CameraManager on the first call; later calls share it. */
int picam_manager_open(picam_manager **out, picam_error *err);
/* Stops the manager when the last reference goes. Cameras hold references
 * of their own, so it never stops under a live camera. */
void picam_manager_close(picam_manager *m);
int picam_manager_camera_count(picam_manager *m);

/* ---- camera ----------------------------------------------------------- */

typedef struct picam_camera picam_camera;

enum picam_stream_role {
	PICAM_ROLE_RAW = 0,
	PICAM_ROLE_STILL_CAPTURE = 1,
	PICAM_ROLE_VIDEO_RECORDING = 2,
	PICAM_ROLE_VIEWFINDER = 3,
};

struct picam_completion;

/* Called on libcamera's thread for every completed request (also those that
 * stop() cancels). handle is the request's own, as given to
 * picam_request_create; completion is its record, passed so the callee needs
 * no call back into C. It must return promptly and never block. */
typedef void (*picam_completion_fn)(void *handle, struct picam_completion *completion);

/* Opens the camera at index (0 <= index < count) of the manager's list; it is
 * not acquired yet. fn receives the completions of the camera's requests. The
 * camera keeps a manager reference until freed. */
int picam_camera_open(picam_manager *m, int index, picam_completion_fn fn, picam_camera **out,
		      picam_error *err);
/* Stops, frees requests and buffers, releases and drops the camera. */
void picam_camera_free(picam_camera *c);
/* Fault injection for tests: the camera's next n completions fail as if the
 * shim ran out of memory while copying them (see picam_completion.error). */
int picam_camera_fail_completions(picam_camera *c, int n);

const char *picam_camera_id(picam_camera *c);
/* Properties as a control list; ids are property ids. */
int picam_camera_properties(picam_camera *c, picam_bytes *out, picam_error *err);
/*
 * The controls the camera accepts, encoded as:
 *     u32 count, then per control:
 *     the control's id record (as in picam_control_ids); three single values
 *     (min, max, default); u32 value_count; value_count single values (the
 *     allowed values, if listed).
 */
int picam_camera_controls(picam_camera *c, picam_bytes *out, picam_error *err);
int picam_camera_stream_count(picam_camera *c);

int picam_camera_acquire(picam_camera *c, picam_error *err);
int picam_camera_release(picam_camera *c, picam_error *err);

/* ---- configuration ---------------------------------------------------- */

typedef struct picam_config picam_config;

typedef struct picam_color_space {
	uint8_t valid; /* 0: none (libcamera's std::nullopt) */
	uint8_t primaries;       /* 0 Raw, 1 Smpte170m, 2 Rec709, 3 Rec2020 */
	uint8_t transfer;        /* 0 Linear, 1 Srgb, 2 Rec709 */
	uint8_t ycbcr_encoding;  /* 0 None, 1 Rec601, 2 Rec709, 3 Rec2020 */
	uint8_t range;           /* 0 Full, 1 Limited */
	uint8_t reserved[3];
} picam_color_space;

typedef struct picam_stream_config {
	uint32_t pixel_format; /* DRM fourcc */
	uint32_t reserved;
	uint64_t modifier;
	uint32_t width;
	uint32_t height;
	uint32_t stride;
	uint32_t frame_size;
	uint32_t buffer_count;
	picam_color_space color_space;
} picam_stream_config;

enum picam_config_status {
	PICAM_CONFIG_VALID = 0,
	PICAM_CONFIG_ADJUSTED = 1,
	PICAM_CONFIG_INVALID = 2,
};

/* Generates a configuration for roles (1 <= n <= stream count). A role the
 * camera cannot provide is an error, never a NULL configuration. */
int picam_camera_generate_config(picam_camera *c, const int32_t *roles, int n, picam_config **out,
				 picam_error *err);
void picam_config_free(picam_config *cfg);
int picam_config_size(picam_config *cfg);
int picam_config_get(picam_config *cfg, int index, picam_stream_config *out, picam_error *err);
int picam_config_set(picam_config *cfg, int index, const picam_stream_config *in, picam_error *err);
/* Orientation as libcamera's EXIF value 1..8 (1 = Rotate0). */
int picam_config_orientation(picam_config *cfg);
int picam_config_set_orientation(picam_config *cfg, int orientation, picam_error *err);
/* Sensor configuration; bit_depth 0 clears it. */
int picam_config_set_sensor(picam_config *cfg, uint32_t bit_depth, uint32_t width, uint32_t height,
			    picam_error *err);
/* Returns a picam_config_status. */
int picam_config_validate(picam_config *cfg, picam_error *err);
/*
 * The formats stream index can take, encoded as:
 *     u32 count, then per pixel format: u32 fourcc; u32 pad; u64 modifier;
 *     u32 min_w, min_h, max_w, max_h, h_step, v_step; u32 size_count; size_count x {u32 w,h}.
 */
int picam_config_formats(picam_config *cfg, int index, picam_bytes *out, picam_error *err);

/* Applies a configuration. It must validate as VALID (validate it first and
 * accept the adjustments). Frees previous buffers; fails while requests exist. */
int picam_camera_configure(picam_camera *c, picam_config *cfg, picam_error *err);

/* ---- buffers ---------------------------------------------------------- */

enum picam_allocator {
	PICAM_ALLOCATOR_AUTO = 0,     /* the first of the three below that works */
	PICAM_ALLOCATOR_LIBCAMERA = 1, /* libcamera's FrameBufferAllocator */
	PICAM_ALLOCATOR_DMA_HEAP = 2, /* a heap under /dev/dma_heap */
	PICAM_ALLOCATOR_MEMFD = 3,    /* memfd_create */
};

typedef struct picam_plane {
	int32_t fd; /* owned by the shim; dup() it to keep it */
	uint32_t offset;
	uint32_t length;
	uint32_t reserved;
} picam_plane;

#define PICAM_MAX_PLANES 4
#define PICAM_MAX_STREAMS 4

/* Allocates the configured buffer count for stream index with the given
 * allocator; returns the number of buffers. The camera must be configured and
 * stopped and the stream must have no buffers yet. */
int picam_camera_alloc_buffers(picam_camera *c, int stream, int allocator, picam_error *err);
/* The allocator that served stream index (a picam_allocator, never AUTO). */
int picam_camera_buffer_allocator(picam_camera *c, int stream);
/* Fills up to max planes of buffer index of stream; returns the plane count. */
int picam_camera_buffer_planes(picam_camera *c, int stream, int index, picam_plane *planes, int max,
			       picam_error *err);
/* Frees the buffers of stream; fails with -EBUSY while a request uses them. */
int picam_camera_free_buffers(picam_camera *c, int stream, picam_error *err);

/* ---- requests --------------------------------------------------------- */

typedef struct picam_request picam_request;

enum picam_request_status {
	PICAM_REQUEST_PENDING = 0,
	PICAM_REQUEST_COMPLETE = 1,
	PICAM_REQUEST_CANCELLED = 2,
};

enum picam_frame_status {
	PICAM_FRAME_SUCCESS = 0,
	PICAM_FRAME_ERROR = 1,
	PICAM_FRAME_CANCELLED = 2,
	PICAM_FRAME_STARTUP = 3,
	PICAM_FRAME_UNKNOWN = 255,
};

typedef struct picam_buffer_result {
	int32_t stream;       /* stream index */
	int32_t buffer;       /* buffer index within the stream */
	uint32_t status;      /* picam_frame_status */
	uint32_t sequence;
	uint64_t timestamp;   /* ns, CLOCK_MONOTONIC; 0 if libcamera gave none */
	uint32_t num_planes;
	uint32_t bytes_used[PICAM_MAX_PLANES];
	uint32_t has_metadata; /* 0 on libcamera 0.4.0, which never fills it */
} picam_buffer_result;

/* What the shim copies out of a completed request on libcamera's thread. It
 * lives in the request and is rewritten only when the request completes again. */
typedef struct picam_completion {
	uint64_t cookie;
	uint32_t status;   /* picam_request_status */
	uint32_t sequence; /* request sequence */
	uint64_t sensor_timestamp; /* SensorTimestamp metadata, 0 if absent */
	uint32_t num_buffers;
	/* 0, or a negative errno when the shim could not copy the completion
	 * (-ENOMEM): status is then PICAM_REQUEST_CANCELLED and the metadata
	 * empty; the request is back and may be reused. */
	int32_t error;
	picam_buffer_result buffers[PICAM_MAX_STREAMS];
	const uint8_t *metadata; /* encoded control list */
	uint32_t metadata_len;
	uint32_t metadata_count;
} picam_completion;

/* Creates a request; handle is what the completion callback receives for it,
 * from creation until the request is freed. */
int picam_request_create(picam_camera *c, uint64_t cookie, void *handle, picam_request **out,
			 picam_error *err);
/* Fails with -EBUSY if the request is queued. */
int picam_request_free(picam_request *r, picam_error *err);
int picam_request_add_buffer(picam_request *r, int stream, int buffer, picam_error *err);
/* Drops the request's buffers (libcamera's reuse(Default)) or keeps them. */
int picam_request_reuse(picam_request *r, int keep_buffers, picam_error *err);
/* Queues the request with the encoded controls (len 0 for none). The controls
 * are checked against the camera's: unknown ids and wrong types are errors. */
int picam_request_queue(picam_request *r, const uint8_t *controls, size_t len, picam_error *err);
/* Reuses the request keeping its buffers (picam_request_reuse with
 * keep_buffers) and queues it with the encoded controls: a capture loop's
 * requeue in one call. On an error the request is left as it was. */
int picam_request_requeue(picam_request *r, const uint8_t *controls, size_t len, picam_error *err);

/* ---- running ---------------------------------------------------------- */

/* Starts with the encoded controls (len 0 for none). */
int picam_camera_start(picam_camera *c, const uint8_t *controls, size_t len, picam_error *err);
/* Stops; queued requests come back cancelled (or completed, on libcamera 0.4)
 * through the completion callback before this returns. */
int picam_camera_stop(picam_camera *c, picam_error *err);

#ifdef __cplusplus
}
#endif

#endif
