#!/usr/bin/env node
// Kept outside dist so installs can link the command before the first build.
import '../dist/bin.js';
