/*
 * web_assets.h - the blotter's static files, compiled into omsd.
 *
 * The table is generated at build time from every file in apps/omsd/web/
 * by cmake/embed_web.cmake (one entry per file, the content type chosen by the
 * file's extension); admin.c serves "/" as index.html and "/blotter/<path>"
 * from it. Nothing is read from disk at run time.
 */
#ifndef OMSD_WEB_ASSETS_H
#define OMSD_WEB_ASSETS_H

#include <stddef.h>

typedef struct omsd_web_asset_s {
  const char *path;
  const char *content_type;
  const unsigned char *data;
  size_t len;
} omsd_web_asset_t;
extern const omsd_web_asset_t omsd_web_assets[]; /* path like "index.html", "app.js" */
extern const size_t omsd_web_nassets;

#endif /* OMSD_WEB_ASSETS_H */
