// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The web UI's token: 32 random bytes as hex, in STATE_DIR/webui.token,
 * born 0600 (O_EXCL, so two hoverds racing at first start agree on one).
 * A token file others can read is refused rather than used.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgmt/webui.h"

static int make_token(const char *path, char token[WEBUI_TOKEN_LEN + 1])
{
	u8 raw[WEBUI_TOKEN_LEN / 2];
	int fd;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -EIO;
	for (unsigned i = 0; i < sizeof(raw); i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, token, WEBUI_TOKEN_LEN) != WEBUI_TOKEN_LEN || fsync(fd) < 0) {
		close(fd);
		unlink(path);
		return -EIO;
	}
	close(fd);
	return 0;
}

int webui_token_load(const char *state_dir, char token[WEBUI_TOKEN_LEN + 1], char *err,
		     size_t errlen)
{
	char path[4096];
	struct stat st;
	ssize_t n;
	int fd, ret;

	snprintf(path, sizeof(path), "%s/webui.token", state_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		ret = make_token(path, token);
		if (ret != -EEXIST) {
			if (ret)
				snprintf(err, errlen, "%s: cannot make the web UI's token: %s", path,
					 strerror(-ret));
			return ret;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) ||
	    st.st_uid != geteuid()) {
		close(fd);
		snprintf(err, errlen, "%s: the web UI's token must be a file of hoverd's user that "
			 "only it can read (chmod 600 it, or delete it to get a new one)", path);
		return -EPERM;
	}
	n = read(fd, token, WEBUI_TOKEN_LEN);
	close(fd);
	token[n > 0 ? n : 0] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", token[i]))
			n = 0;
	if (n != WEBUI_TOKEN_LEN) {
		snprintf(err, errlen, "%s: not a token (64 hex digits); delete it to get a new one",
			 path);
		return -EINVAL;
	}
	return 0;
}

bool webui_token_equal(const char *token, const char *given)
{
	size_t glen = given ? strnlen(given, 256) : 0;
	unsigned diff = glen != WEBUI_TOKEN_LEN;

	/* Always WEBUI_TOKEN_LEN comparisons; a short guess is read as zeros past its end. */
	for (size_t i = 0; i < WEBUI_TOKEN_LEN; i++)
		diff |= (unsigned char)token[i] ^ (unsigned char)(i < glen ? given[i] : 0);
	return diff == 0;
}
