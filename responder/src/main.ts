import { runService } from "@flank/shared";
import { service } from "./service.js";

void runService("responder", service);
