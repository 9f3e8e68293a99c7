/*
 * web_placeholder.c - a one-page stand-in for the blotter's embedded files
 * (web_assets.h), so that omsd serves something at / until the real table,
 * generated from apps/omsd/web/, replaces this file.
 */
#include "web_assets.h"

static const unsigned char index_html[] =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>oms</title></head>"
    "<body><h1>oms</h1><p>The admin API is under <code>/v1</code> "
    "(docs/admin-api.md).</p></body></html>\n";

const omsd_web_asset_t omsd_web_assets[] = {
    {"index.html", "text/html; charset=utf-8", index_html, sizeof index_html - 1},
};
const size_t omsd_web_nassets = sizeof omsd_web_assets / sizeof omsd_web_assets[0];
