// Last of the scripts: every page has registered itself; start the workspace.
"use strict";
RuangKerja.start();
